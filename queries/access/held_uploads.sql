-- name: access/held_uploads
-- answers: For each data subject of an access pack, the metadata of the uploads they supplied before as_of (the images themselves are not in the data)?
-- params: as_of
-- requires: uploads
-- notice: §2, §7
-- gdpr: Art. 15(1), Art. 15(3)
-- note: access packs only; pack_subjects holds the pack's subjects
SELECT u.upload_id, u.customer_id, u.order_id, u.uploaded_at, u.kind, u.depicts_persons, u.size_bytes,
       CASE WHEN u.erased_at < $as_of THEN u.erased_at END AS erased_at
FROM uploads AS u
JOIN pack_subjects AS s ON u.customer_id = s.customer_id
WHERE u.uploaded_at < $as_of
ORDER BY u.customer_id, u.uploaded_at, u.upload_id
