"""Engines: what the analysis asks of the data (base.Engine), DuckDB over a loaded database (duckdb), Apache
Spark over a source read in place (spark/), and the one factory a command opens its engine with (factory)."""
