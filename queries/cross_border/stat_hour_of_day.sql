-- name: cross_border/stat_hour_of_day
-- answers: In the month, at which hour of the day, in the accessing country's own time zone, did the access events happen?
-- params: period_start, as_of
-- requires: access_log
-- notice: §6 (access from India)
-- gdpr: Art. 32(1)(d), Art. 44
-- note: occurred_at is UTC; a country not in the small mapping below is shown in UTC. For a country spanning several zones the mapping names its main business zone.
WITH zones(country, time_zone) AS (
    VALUES
        ('IN', 'Asia/Kolkata'),
        ('BE', 'Europe/Brussels'), ('NL', 'Europe/Amsterdam'), ('LU', 'Europe/Luxembourg'),
        ('FR', 'Europe/Paris'), ('DE', 'Europe/Berlin'), ('IE', 'Europe/Dublin'),
        ('ES', 'Europe/Madrid'), ('IT', 'Europe/Rome'), ('PT', 'Europe/Lisbon'),
        ('PL', 'Europe/Warsaw'), ('RO', 'Europe/Bucharest'), ('GB', 'Europe/London'),
        ('US', 'America/New_York'), ('CN', 'Asia/Shanghai'), ('PH', 'Asia/Manila'),
        ('RU', 'Europe/Moscow'), ('BR', 'America/Sao_Paulo'), ('SG', 'Asia/Singapore')
), e AS (
    SELECT
        a.source_country,
        coalesce(z.time_zone, 'UTC') AS time_zone,
        a.source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
        hour(CAST(a.occurred_at AS TIMESTAMPTZ) AT TIME ZONE coalesce(z.time_zone, 'UTC')) AS local_hour
    FROM access_log AS a
    LEFT JOIN zones AS z ON z.country = a.source_country
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
)
SELECT source_country, time_zone, third_country, local_hour, count(*) AS events
FROM e
GROUP BY source_country, time_zone, third_country, local_hour
ORDER BY source_country, local_hour
