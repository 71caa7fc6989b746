-- name: cross_border/stat_transfers
-- answers: For each (processor, country outside the EEA) pair with access events in the month: how many events, distinct actors and customers, records, which resources and actions, how many events with a ticket, bulk exports and events outside the processor's declared scope, and when first and last seen? (the figures of transfers.csv)
-- params: period_start, as_of, bulk_export_threshold
-- requires: access_log
-- notice: §5, §6 (transfers outside the EEA)
-- gdpr: Art. 30(1)(e), Art. 44, Art. 46
-- note: pairs as XB-006 reads them: the processor compared case-insensitively, surrounding Unicode blanks ignored, and the EEA of the policy version in force at the event's time (so the figures are those the rule judges). resources_actions lists each `resource action` used, sorted, comma separated. with_ticket counts events with a ticket_id, ticket_pct their share (%, one decimal). bulk_exports counts exports above bulk_export_threshold (XB-004's test). out_of_scope counts the events XB-003 flags (a declared processor outside the scope of the version in force at the event); it is NULL when no event of the pair is by a processor declared at its time (XB-003 does not judge an undeclared processor). records sums record_count, a NULL counting as 0
WITH e AS (
    SELECT a.*, lower(trim(a.processor, '                　')) AS processor_key, v.version
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
      AND NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = v.version AND x.country = a.source_country)
), judged AS (
    -- 1 outside the declared scope, 0 inside, NULL for an undeclared processor (not judged)
    SELECT e.*,
           CASE WHEN p.processor IS NULL THEN NULL WHEN s.processor IS NULL THEN 1 ELSE 0 END AS out_of_scope
    FROM e
    LEFT JOIN (SELECT DISTINCT version, processor FROM policy_processor_at) AS p
        ON p.version = e.version AND p.processor = e.processor_key
    LEFT JOIN (SELECT DISTINCT version, processor, resource, action FROM policy_processor_scope_at) AS s
        ON s.version = e.version AND s.processor = e.processor_key AND s.resource = e.resource AND s.action = e.action
)
SELECT
    processor_key AS processor,
    source_country AS country,
    count(*) AS events,
    count(DISTINCT actor_id) AS actors,
    count(DISTINCT customer_id) AS customers,
    CAST(coalesce(sum(record_count), 0) AS BIGINT) AS records,
    array_to_string(list_sort(list_distinct(list(resource || ' ' || action))), ', ') AS resources_actions,
    count(ticket_id) AS with_ticket,
    round(100.0 * count(ticket_id) / count(*), 1) AS ticket_pct,
    count(*) FILTER (WHERE action = 'export' AND record_count > $bulk_export_threshold) AS bulk_exports,
    CAST(sum(out_of_scope) AS BIGINT) AS out_of_scope,
    min(occurred_at) AS first_seen,
    max(occurred_at) AS last_seen
FROM judged
GROUP BY processor_key, source_country
ORDER BY processor, country
