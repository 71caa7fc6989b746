-- name: cross_border/stat_exports
-- answers: In the month, how many exports did each processor make from each country, how many records did they carry, and how many exceeded the bulk-export threshold?
-- params: period_start, as_of, bulk_export_threshold
-- requires: access_log
-- notice: §6
-- gdpr: Art. 44, Art. 5(1)(c), Art. 32
SELECT
    processor,
    source_country,
    source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    count(*) AS exports,
    coalesce(sum(record_count), 0)::BIGINT AS records,
    max(record_count) AS largest_export,
    count(*) FILTER (WHERE record_count > $bulk_export_threshold) AS above_threshold
FROM access_log
WHERE occurred_at >= $period_start AND occurred_at < $as_of
  AND action = 'export'
GROUP BY processor, source_country
ORDER BY third_country DESC, records DESC, processor, source_country
