"""Analysis: one month's context (context), the rule catalogue (rules), what the data shows beside what the
policy declares (observed), the Art. 30 record (ropa), the statistics, and the month results computed
once (results) and kept (store)."""
