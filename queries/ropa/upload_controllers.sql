-- name: ropa/upload_controllers
-- answers: For how many customers (each the controller of the persons their uploads show) does bpost hold uploads at the end of the month, as their processor?
-- params: as_of
-- requires: uploads
-- notice: §2 (the customer is the controller of the persons on the media it supplies; bpost its processor)
-- gdpr: Art. 30(2)(a)
-- note: counts customers only; the record never reproduces their contact data. No row when no upload is held (read as 0)
SELECT count(DISTINCT customer_id) AS controllers, count(*) AS uploads_held
FROM uploads
WHERE uploaded_at < $as_of
  AND (erased_at IS NULL OR erased_at >= $as_of)
HAVING count(*) > 0
