-- name: retention/stat_erased_columns_filled
-- answers: Of the customers erased before as_of, how many still hold a value in each erasable personal-data column (the columns behind RET-004)?
-- params: as_of
-- requires: customers
-- notice: §7
-- gdpr: Art. 17(1), Art. 5(1)(e)
-- note: counts only, never values
WITH erased AS (
    SELECT *
    FROM customers
    WHERE created_at < $as_of AND erased_at < $as_of
), counted AS (
    SELECT
        count(*) AS erased_customers,
        count(first_name) AS first_name,
        count(last_name) AS last_name,
        count(street) AS street,
        count(postal_code) AS postal_code,
        count(city) AS city,
        count(email) AS email,
        count(birth_date) AS birth_date,
        count(gender) AS gender,
        count(phone) AS phone,
        count(mobile) AS mobile,
        count(vat_number) AS vat_number
    FROM erased
)
SELECT column_name, erased_customers, still_filled
FROM (
    -- one row per column (UNION ALL: DuckDB's UNPIVOT has no Spark translation)
              SELECT 'first_name' AS column_name, erased_customers, first_name AS still_filled FROM counted
    UNION ALL SELECT 'last_name', erased_customers, last_name FROM counted
    UNION ALL SELECT 'street', erased_customers, street FROM counted
    UNION ALL SELECT 'postal_code', erased_customers, postal_code FROM counted
    UNION ALL SELECT 'city', erased_customers, city FROM counted
    UNION ALL SELECT 'email', erased_customers, email FROM counted
    UNION ALL SELECT 'birth_date', erased_customers, birth_date FROM counted
    UNION ALL SELECT 'gender', erased_customers, gender FROM counted
    UNION ALL SELECT 'phone', erased_customers, phone FROM counted
    UNION ALL SELECT 'mobile', erased_customers, mobile FROM counted
    UNION ALL SELECT 'vat_number', erased_customers, vat_number FROM counted
) AS unpivoted
ORDER BY still_filled DESC, column_name
