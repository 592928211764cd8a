-- schedule_head --
-- The tenant's latest event seq, read in the same snapshot as the schedule.
SELECT event_seq FROM tenant_counters WHERE tenant_id = :tenant_id;

-- schedule_resources --
-- The tenant's resources (or the listed ones) by (name, id).
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources
WHERE tenant_id = :tenant_id AND (:resource_ids::uuid[] IS NULL OR id = any(:resource_ids::uuid[]))
ORDER BY name, id;

-- schedule_bookings --
-- Bookings of every status overlapping [:start, :end), of the listed resources or all, by (start, id); at most :limit (app_schedule_bookings, migration 0013: through the period index).
SELECT * FROM app_schedule_bookings(:tenant_id, :resource_ids::uuid[], :start, :end, :limit);

-- schedule_holds --
-- Live holds overlapping [:start, :end), of the listed resources or all, by (start, id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id, expires_at,
    created_at
FROM holds
WHERE tenant_id = :tenant_id
  AND (:resource_ids::uuid[] IS NULL OR resource_id = any(:resource_ids::uuid[]))
  AND released_at IS NULL AND expires_at > clock_timestamp()
  AND period && tstzrange(:start, :end, '[)')
ORDER BY lower(period), id;

-- schedule_time_off --
-- Time off overlapping [:start, :end), of the listed resources or all, by (start, id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at
FROM time_off
WHERE tenant_id = :tenant_id
  AND (:resource_ids::uuid[] IS NULL OR resource_id = any(:resource_ids::uuid[]))
  AND period && tstzrange(:start, :end, '[)')
ORDER BY lower(period), id;
