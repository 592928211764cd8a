-- insert_time_off --
-- A period the resource is not available (the caller holds the resource's lock).
INSERT INTO time_off (tenant_id, id, resource_id, period, reason, created_by)
VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6, $7)
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at;

-- delete_time_off --
-- Remove one time off of a resource; no row when unknown.
DELETE FROM time_off WHERE tenant_id = $1 AND resource_id = $2 AND id = $3
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at;

-- time_off_resource_exists --
-- Whether the resource is one of the tenant's.
SELECT EXISTS (SELECT 1 FROM resources WHERE tenant_id = $1 AND id = $2);

-- list_time_off --
-- A page of a resource's time off by (start, id), overlapping [$3, $4) (either end open); continues after ($5, $6).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", reason, created_by,
    created_at
FROM time_off
WHERE tenant_id = $1 AND resource_id = $2
  AND period && tstzrange($3::timestamptz, $4::timestamptz, '[)')
  AND ($5::timestamptz IS NULL OR (lower(period), id) > ($5, $6::uuid))
ORDER BY lower(period), id
LIMIT $7;
