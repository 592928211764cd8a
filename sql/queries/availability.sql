-- availability_window --
-- One resource (zone, working hours) with what blocks it in [:start, :end): blocking bookings, live holds, time off (app_blocking_periods, migration 0013), by start; at most :limit rows.
SELECT r.timezone, r.working_hours, r.deactivated_at, x.kind, x.id, x.start, x."end", x.status
FROM resources r
LEFT JOIN LATERAL app_blocking_periods(r.tenant_id, ARRAY[r.id], :start, :end) x ON true
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
-- What blocks the listed resources in [:start, :end): blocking bookings, live holds, time off (resource, start, end; app_blocking_periods, migration 0013).
SELECT resource_id, start, "end"
FROM app_blocking_periods(:tenant_id, :resource_ids::uuid[], :start, :end);
