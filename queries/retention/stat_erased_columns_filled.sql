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
    UNPIVOT counted
    ON first_name, last_name, street, postal_code, city, email, birth_date, gender, phone, mobile, vat_number
    INTO NAME column_name VALUE still_filled
)
ORDER BY still_filled DESC, column_name
