-- name: access/table_operations
-- answers: For each data subject of an access pack, per day, the operations on whole tables (events with no customer_id) on a resource holding their data, while it held it, that may have included their data: how many, on how many records, how many with a ticket?
-- params: as_of, with_actors
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: access packs only; pack_spans(customer_id, resource, held_from, held_to) is registered by the command: per subject, each resource holding their data (customers from the record's creation; orders, uploads, marketing, requests from their first row there) until their erasure or as_of. A large log holds millions of such events, so a pack counts them per UTC day, processor, country, action and resource (and actor with --with-actors) instead of listing each: the days strictly inside a span come from one daily count shared by every subject of the run; the first and last day of a span are counted from the events themselves, from the span's first instant and before its last. actor_id is read only when with_actors, source_ip never
WITH ops AS (
    SELECT a.resource, a.occurred_at, CAST(a.occurred_at AS DATE) AS day, a.processor, a.source_country, a.action,
           a.record_count, a.ticket_id, CASE WHEN $with_actors THEN a.actor_id END AS actor_id
    FROM access_log AS a
    WHERE a.customer_id IS NULL
      AND a.occurred_at < $as_of
      AND a.resource IN (SELECT resource FROM pack_spans)
),
daily AS (
    SELECT resource, day, processor, source_country, action, actor_id,
           count(*) AS events, CAST(sum(record_count) AS BIGINT) AS records, count(ticket_id) AS with_ticket
    FROM ops
    GROUP BY resource, day, processor, source_country, action, actor_id
),
edges AS (
    SELECT p.customer_id, o.resource, o.day, o.processor, o.source_country, o.action, o.actor_id, o.record_count,
           o.ticket_id
    FROM ops AS o
    JOIN pack_spans AS p ON o.resource = p.resource AND o.day = CAST(p.held_from AS DATE)
    WHERE o.occurred_at >= p.held_from AND o.occurred_at < p.held_to
    UNION ALL
    SELECT p.customer_id, o.resource, o.day, o.processor, o.source_country, o.action, o.actor_id, o.record_count,
           o.ticket_id
    FROM ops AS o
    JOIN pack_spans AS p ON o.resource = p.resource AND o.day = CAST(p.held_to AS DATE)
    WHERE CAST(p.held_to AS DATE) > CAST(p.held_from AS DATE) AND o.occurred_at < p.held_to
)
SELECT p.customer_id, d.resource, CAST(d.day AS VARCHAR) AS day, d.processor, d.source_country, d.action, d.actor_id,
       d.events, d.records, d.with_ticket
FROM daily AS d
JOIN pack_spans AS p ON d.resource = p.resource
WHERE d.day > CAST(p.held_from AS DATE) AND d.day < CAST(p.held_to AS DATE)
UNION ALL
SELECT customer_id, resource, CAST(day AS VARCHAR) AS day, processor, source_country, action, actor_id,
       count(*) AS events, CAST(sum(record_count) AS BIGINT) AS records, count(ticket_id) AS with_ticket
FROM edges
GROUP BY customer_id, resource, day, processor, source_country, action, actor_id
