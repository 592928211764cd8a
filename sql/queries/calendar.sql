-- calendar_bookings --
-- One resource's name with its latest blocking bookings overlapping [$3, $4) (null $4: no end), newest first, at most $5.
SELECT r.name AS resource_name, b.id, b.number, b.title, b.note, b.start, b."end", b.status,
       b.version, b.updated_at
FROM resources r
LEFT JOIN LATERAL (
    SELECT id, number, title, note, lower(period) AS start, upper(period) AS "end", status,
           version, updated_at
    FROM bookings
    WHERE tenant_id = r.tenant_id AND resource_id = r.id
      AND status IN ('pending', 'confirmed', 'completed')
      AND period && tstzrange($3::timestamptz, $4::timestamptz, '[)')
    ORDER BY lower(period) DESC, id DESC
    LIMIT $5
) b ON true
WHERE r.tenant_id = $1 AND r.id = $2;
