-- insert_time_off --
-- A period the resource is not available (the caller holds the resource's lock).
INSERT INTO time_off (tenant_id, id, resource_id, period, reason, created_by)
VALUES (:tenant_id, :time_off_id, :resource_id, tstzrange(:start, :end, '[)'), :reason, :created_by)
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at;

-- delete_time_off --
-- Remove one time off of a resource; no row when unknown.
DELETE FROM time_off
WHERE tenant_id = :tenant_id AND resource_id = :resource_id AND id = :time_off_id
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at;

-- time_off_resource_exists --
-- Whether the resource is one of the tenant's.
SELECT EXISTS (SELECT 1 FROM resources WHERE tenant_id = :tenant_id AND id = :resource_id);

-- list_time_off --
-- A page of a resource's time off by (start, id), overlapping [:start, :end) (either end open); continues after (:after_start, :after_id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at
FROM time_off
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
  AND (:after_start::timestamptz IS NULL OR (lower(period), id) > (:after_start, :after_id::uuid))
ORDER BY lower(period), id
LIMIT :limit;
