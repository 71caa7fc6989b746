"""The layout of the database `load` writes: its tables beyond the data contract's (bookkeeping, the
access log's parts, the roll-ups). A database of another layout is rebuilt whole by `load` and refused
by the commands that read one, with "load again" (engine.DuckDBEngine)."""

LAYOUT = "4"
