-- availability_window --
-- One resource (zone, working hours) with what blocks it in [$3, $4): blocking bookings, live holds, time off, by start; at most $5 rows.
SELECT r.timezone, r.working_hours, r.deactivated_at, x.kind, x.id, x.start, x."end", x.status
FROM resources r
LEFT JOIN LATERAL (
    SELECT 'booking' AS kind, b.id, lower(b.period) AS start, upper(b.period) AS "end", b.status
    FROM bookings b
    WHERE b.tenant_id = r.tenant_id AND b.resource_id = r.id
      AND b.status IN ('pending', 'confirmed', 'completed') AND b.period && tstzrange($3, $4, '[)')
    UNION ALL
    SELECT 'hold', h.id, lower(h.period), upper(h.period), 'held'
    FROM holds h
    WHERE h.tenant_id = r.tenant_id AND h.resource_id = r.id AND h.released_at IS NULL
      AND h.expires_at > clock_timestamp() AND h.period && tstzrange($3, $4, '[)')
    UNION ALL
    SELECT 'time_off', t.id, lower(t.period), upper(t.period), 'time_off'
    FROM time_off t
    WHERE t.tenant_id = r.tenant_id AND t.resource_id = r.id AND t.period && tstzrange($3, $4, '[)')
) x ON true
WHERE r.tenant_id = $1 AND r.id = $2
ORDER BY x.start, x.id
LIMIT $5;

-- search_resources --
-- Active resources matching every filter (kind $2, all skills $3, ids $4; each optional), by id.
SELECT id, timezone, working_hours
FROM resources
WHERE tenant_id = $1 AND deactivated_at IS NULL
  AND ($2::text IS NULL OR kind = $2)
  AND ($3::text[] IS NULL OR skills @> $3::text[])
  AND ($4::uuid[] IS NULL OR id = any($4::uuid[]))
ORDER BY id;

-- search_busy --
-- What blocks the listed resources in [$3, $4): blocking bookings, live holds, time off (resource, start, end).
SELECT resource_id, lower(period) AS start, upper(period) AS "end"
FROM bookings
WHERE tenant_id = $1 AND resource_id = any($2::uuid[]) AND period && tstzrange($3, $4, '[)')
  AND status IN ('pending', 'confirmed', 'completed')
UNION ALL
SELECT resource_id, lower(period), upper(period)
FROM holds
WHERE tenant_id = $1 AND resource_id = any($2::uuid[]) AND period && tstzrange($3, $4, '[)')
  AND released_at IS NULL AND expires_at > clock_timestamp()
UNION ALL
SELECT resource_id, lower(period), upper(period)
FROM time_off
WHERE tenant_id = $1 AND resource_id = any($2::uuid[]) AND period && tstzrange($3, $4, '[)');
