-- name: minimisation/min_001_vat_on_consumer
-- answers: Which customers, not erased at as_of, have a consumer (MyStamp) account but hold a VAT number, which the policy declares for MyStamp Pro only?
-- rule: MIN-001
-- severity: low
-- subject: customer
-- title: VAT number held for a consumer account (declared for Pro only)
-- params: as_of
-- requires: customers
-- notice: §3 (VAT or company number: for MyStamp Pro)
-- gdpr: Art. 5(1)(c)
-- occurred_at: account creation (when the data was collected)
SELECT
    customer_id AS subject_id,
    created_at AS occurred_at,
    'consumer account holds a VAT number, declared for MyStamp Pro accounts only' AS detail
FROM customers
WHERE created_at < $as_of
  AND (erased_at IS NULL OR erased_at >= $as_of)
  AND account_type = 'consumer'
  AND vat_number IS NOT NULL
