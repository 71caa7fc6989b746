-- name: ropa/field_fill
-- answers: Of the customers held at the end of the month, how many have each personal-data column filled, by account type?
-- params: as_of
-- requires: customers
-- notice: §2, §3 (the personal data categories collected)
-- gdpr: Art. 30(1)(c), Art. 5(1)(c)
-- note: counts only, never values; the column list is the contract's personal-data columns of customers
WITH held AS (
    SELECT *
    FROM customers
    WHERE created_at < $as_of
      AND (erased_at IS NULL OR erased_at >= $as_of)
), counted AS (
    SELECT
        account_type,
        count(*) AS held,
        count(first_name) AS first_name,
        count(last_name) AS last_name,
        count(street) AS street,
        count(postal_code) AS postal_code,
        count(city) AS city,
        count(country_code) AS country_code,
        count(email) AS email,
        count(birth_date) AS birth_date,
        count(gender) AS gender,
        count(phone) AS phone,
        count(mobile) AS mobile,
        count(vat_number) AS vat_number
    FROM held
    GROUP BY account_type
)
SELECT account_type, column_name, held, filled
FROM (
    -- one row per column (UNION ALL: DuckDB's UNPIVOT has no Spark translation)
              SELECT account_type, 'first_name' AS column_name, held, first_name AS filled FROM counted
    UNION ALL SELECT account_type, 'last_name', held, last_name FROM counted
    UNION ALL SELECT account_type, 'street', held, street FROM counted
    UNION ALL SELECT account_type, 'postal_code', held, postal_code FROM counted
    UNION ALL SELECT account_type, 'city', held, city FROM counted
    UNION ALL SELECT account_type, 'country_code', held, country_code FROM counted
    UNION ALL SELECT account_type, 'email', held, email FROM counted
    UNION ALL SELECT account_type, 'birth_date', held, birth_date FROM counted
    UNION ALL SELECT account_type, 'gender', held, gender FROM counted
    UNION ALL SELECT account_type, 'phone', held, phone FROM counted
    UNION ALL SELECT account_type, 'mobile', held, mobile FROM counted
    UNION ALL SELECT account_type, 'vat_number', held, vat_number FROM counted
) AS unpivoted
ORDER BY account_type, column_name
