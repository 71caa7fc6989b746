-- name: access/held_customers
-- answers: For each data subject of an access pack, their customer record as held at as_of (a state after as_of, such as a later erasure, is not yet part of it)?
-- params: as_of
-- requires: customers
-- notice: §2, §3, §8
-- gdpr: Art. 15(1), Art. 15(3)
-- note: access packs only (gdpr-analytics access-pack); pack_subjects(customer_id) is registered by the command and holds the pack's subjects, nobody else
SELECT c.customer_id, c.account_type, c.first_name, c.last_name, c.street, c.postal_code, c.city, c.country_code,
       c.email, c.birth_date, c.gender, c.phone, c.mobile, c.vat_number, c.created_at,
       CASE WHEN c.erased_at < $as_of THEN c.erased_at END AS erased_at,
       CASE WHEN c.marketing_objection_at < $as_of THEN c.marketing_objection_at END AS marketing_objection_at
FROM customers AS c
JOIN pack_subjects AS s ON c.customer_id = s.customer_id
WHERE c.created_at < $as_of
ORDER BY c.customer_id
