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
    UNPIVOT counted
    ON first_name, last_name, street, postal_code, city, country_code, email, birth_date, gender,
       phone, mobile, vat_number
    INTO NAME column_name VALUE filled
)
ORDER BY account_type, column_name
