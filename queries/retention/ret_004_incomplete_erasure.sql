-- name: retention/ret_004_incomplete_erasure
-- answers: Which customers are marked erased at as_of but still hold personal data in one of the erasable columns?
-- rule: RET-004
-- severity: high
-- subject: customer
-- title: Erasure incomplete: personal data left on an erased customer
-- params: as_of
-- requires: customers
-- notice: §7
-- gdpr: Art. 17(1), Art. 5(1)(e)
-- occurred_at: the erasure instant (erased_at)
SELECT
    customer_id AS subject_id,
    erased_at AS occurred_at,
    'erased on ' || strftime(erased_at, '%Y-%m-%d') || 'T' || strftime(erased_at, '%H:%M:%S') || 'Z' || ' but still holds: '
        || concat_ws(', ',
            CASE WHEN first_name IS NOT NULL THEN 'first_name' END,
            CASE WHEN last_name IS NOT NULL THEN 'last_name' END,
            CASE WHEN street IS NOT NULL THEN 'street' END,
            CASE WHEN postal_code IS NOT NULL THEN 'postal_code' END,
            CASE WHEN city IS NOT NULL THEN 'city' END,
            CASE WHEN email IS NOT NULL THEN 'email' END,
            CASE WHEN birth_date IS NOT NULL THEN 'birth_date' END,
            CASE WHEN gender IS NOT NULL THEN 'gender' END,
            CASE WHEN phone IS NOT NULL THEN 'phone' END,
            CASE WHEN mobile IS NOT NULL THEN 'mobile' END,
            CASE WHEN vat_number IS NOT NULL THEN 'vat_number' END
        ) AS detail
FROM customers
WHERE created_at < $as_of
  AND erased_at < $as_of
  AND (first_name IS NOT NULL OR last_name IS NOT NULL OR street IS NOT NULL OR postal_code IS NOT NULL
       OR city IS NOT NULL OR email IS NOT NULL OR birth_date IS NOT NULL OR gender IS NOT NULL
       OR phone IS NOT NULL OR mobile IS NOT NULL OR vat_number IS NOT NULL)
