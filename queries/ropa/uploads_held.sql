-- name: ropa/uploads_held
-- answers: How many uploads (photos, images, drawings, texts) does bpost hold for its customers at the end of the month, by kind, and how many show persons?
-- params: as_of
-- requires: uploads
-- notice: §2, §7 (bpost processes the uploads on the customer's behalf)
-- gdpr: Art. 30(2)(b)
SELECT
    kind,
    count(*) AS uploads_held,
    count(*) FILTER (WHERE depicts_persons) AS depicting_persons,
    count(DISTINCT customer_id) AS customers
FROM uploads
WHERE uploaded_at < $as_of
  AND (erased_at IS NULL OR erased_at >= $as_of)
GROUP BY kind
ORDER BY kind
