"""The SQL of queries/: named queries with their headers (`queries`), and the subset both engines run
identically with its translation to Spark SQL (`portable`)."""
