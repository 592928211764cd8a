-- schedule_head --
-- The tenant's latest event seq, read in the same snapshot as the schedule.
SELECT event_seq FROM tenant_counters WHERE tenant_id = $1;

-- schedule_resources --
-- The tenant's resources (or the listed ones) by (name, id).
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources
WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR id = any($2::uuid[]))
ORDER BY name, id;

-- schedule_bookings --
-- Bookings of every status overlapping [$3, $4), of the listed resources or all, by
-- (start, id); at most $5.
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id
FROM bookings
WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR resource_id = any($2::uuid[]))
  AND period && tstzrange($3, $4, '[)')
ORDER BY lower(period), id
LIMIT $5;

-- schedule_holds --
-- Live holds overlapping [$3, $4), of the listed resources or all, by (start, id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id, expires_at,
    created_at
FROM holds
WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR resource_id = any($2::uuid[]))
  AND released_at IS NULL AND expires_at > clock_timestamp()
  AND period && tstzrange($3, $4, '[)')
ORDER BY lower(period), id;

-- schedule_time_off --
-- Time off overlapping [$3, $4), of the listed resources or all, by (start, id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at
FROM time_off
WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR resource_id = any($2::uuid[]))
  AND period && tstzrange($3, $4, '[)')
ORDER BY lower(period), id;
