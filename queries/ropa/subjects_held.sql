-- name: ropa/subjects_held
-- answers: How many customers does bpost hold at the end of the month (created before as_of and not erased at as_of), by account type?
-- params: as_of
-- requires: customers
-- notice: §1, §2 (data subjects: MyStamp and MyStamp Pro customers)
-- gdpr: Art. 30(1)(c)
SELECT
    account_type,
    count(*) AS customers_held
FROM customers
WHERE created_at < $as_of
  AND (erased_at IS NULL OR erased_at >= $as_of)
GROUP BY account_type
ORDER BY account_type
