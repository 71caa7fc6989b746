-- name: access/held_dsr_requests
-- answers: For each data subject of an access pack, the data-subject requests they made before as_of, as they stood at as_of?
-- params: as_of
-- requires: dsr_requests
-- notice: §8, §9
-- gdpr: Art. 12, Art. 15(1)
-- note: access packs only; pack_subjects holds the pack's subjects; a request closed after as_of is open at as_of
SELECT r.request_id, r.customer_id, r.received_at, r."right", r.extended,
       CASE WHEN r.closed_at < $as_of THEN r.closed_at END AS closed_at,
       CASE WHEN r.closed_at < $as_of THEN r.outcome END AS outcome
FROM dsr_requests AS r
JOIN pack_subjects AS s ON r.customer_id = s.customer_id
WHERE r.received_at < $as_of
ORDER BY r.customer_id, r.received_at, r.request_id
