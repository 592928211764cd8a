-- availability_window --
-- One resource (zone, working hours) joined with its blocking bookings overlapping [$3, $4),
-- at most $5 rows.
SELECT r.timezone, r.working_hours, r.deactivated_at,
       b.id AS booking_id, lower(b.period) AS start, upper(b.period) AS "end", b.status
FROM resources r
LEFT JOIN bookings b
    ON b.tenant_id = r.tenant_id AND b.resource_id = r.id
    AND b.status IN ('pending', 'confirmed', 'completed')
    AND b.period && tstzrange($3, $4, '[)')
WHERE r.tenant_id = $1 AND r.id = $2
ORDER BY lower(b.period), b.id
LIMIT $5;
