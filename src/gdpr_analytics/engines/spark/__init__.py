"""The Spark engine (SPEC §9): sessions (local mode or Spark Connect), a source staged and checked on
Spark with the loader's checks, and the engine answering the same queries as DuckDB, typed alike."""
