-- name: access/open_requests
-- answers: Which access requests (right = access) are open at as_of: received before it and not closed before it?
-- params: as_of
-- requires: dsr_requests
-- notice: §8, §9
-- gdpr: Art. 12(3), Art. 15
-- note: access packs only (gdpr-analytics access-pack --requests YYYY-MM); a request with no customer_id names nobody the data holds
SELECT r.request_id, r.customer_id
FROM dsr_requests AS r
WHERE r."right" = 'access'
  AND r.received_at < $as_of
  AND (r.closed_at IS NULL OR r.closed_at >= $as_of)
ORDER BY r.request_id
