-- name: ropa/extra_columns
-- answers: Which columns did the source hold beyond the data contract, and how many values did each hold? (the loader records them and does not load them)
-- params: none
-- requires: _load_extra_columns
-- notice: §3 (only the declared categories are collected)
-- gdpr: Art. 5(1)(c), Art. 30(1)(c)
-- note: the loader records them per input file; a column found in several access log files is summed
SELECT table_name, column_name, CAST(sum(non_null) AS BIGINT) AS non_null
FROM _load_extra_columns
GROUP BY table_name, column_name
ORDER BY table_name, column_name
