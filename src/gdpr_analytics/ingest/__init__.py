"""Data in: the input contract, a source folder and its files, what is wrong with a CSV file, the
contract's checks, the load into DuckDB (incremental), the roll-ups, the data's coverage, and the layout
of the database a load writes."""
