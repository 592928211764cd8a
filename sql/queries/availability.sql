-- availability_window --
-- One resource (zone, working hours) with what blocks it in [:start, :end): blocking bookings, live holds, time off, by start; at most :limit rows.
SELECT r.timezone, r.working_hours, r.deactivated_at, x.kind, x.id, x.start, x."end", x.status
FROM resources r
LEFT JOIN LATERAL (
    SELECT 'booking' AS kind, b.id, lower(b.period) AS start, upper(b.period) AS "end", b.status
    FROM bookings b
    WHERE b.tenant_id = r.tenant_id AND b.resource_id = r.id
      AND app_blocking(b.status)
      AND b.period && tstzrange(:start, :end, '[)')
    UNION ALL
    SELECT 'hold', h.id, lower(h.period), upper(h.period), 'held'
    FROM holds h
    WHERE h.tenant_id = r.tenant_id AND h.resource_id = r.id AND h.released_at IS NULL
      AND h.expires_at > clock_timestamp() AND h.period && tstzrange(:start, :end, '[)')
    UNION ALL
    SELECT 'time_off', t.id, lower(t.period), upper(t.period), 'time_off'
    FROM time_off t
    WHERE t.tenant_id = r.tenant_id AND t.resource_id = r.id
      AND t.period && tstzrange(:start, :end, '[)')
) x ON true
WHERE r.tenant_id = :tenant_id AND r.id = :resource_id
ORDER BY x.start, x.id
LIMIT :limit;

-- search_resources --
-- Active resources matching every filter (kind :kind, all skills :skills, ids :resource_ids; each optional), by id.
SELECT id, timezone, working_hours
FROM resources
WHERE tenant_id = :tenant_id AND deactivated_at IS NULL
  AND (:kind::text IS NULL OR kind = :kind)
  AND (:skills::text[] IS NULL OR skills @> :skills::text[])
  AND (:resource_ids::uuid[] IS NULL OR id = any(:resource_ids::uuid[]))
ORDER BY id;

-- search_busy --
-- What blocks the listed resources in [:start, :end): blocking bookings, live holds, time off (resource, start, end).
SELECT resource_id, lower(period) AS start, upper(period) AS "end"
FROM bookings
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[])
  AND period && tstzrange(:start, :end, '[)')
  AND app_blocking(status)
UNION ALL
SELECT resource_id, lower(period), upper(period)
FROM holds
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[])
  AND period && tstzrange(:start, :end, '[)')
  AND released_at IS NULL AND expires_at > clock_timestamp()
UNION ALL
SELECT resource_id, lower(period), upper(period)
FROM time_off
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[])
  AND period && tstzrange(:start, :end, '[)');
