-- release_expired_holds --
-- Release the expired holds of a resource overlapping [:start, :end) (the caller holds its lock), so a new hold may take their place.
UPDATE holds
SET released_at = clock_timestamp(), release_reason = 'expired'
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND period && tstzrange(:start, :end, '[)')
  AND released_at IS NULL AND expires_at <= clock_timestamp()
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id,
    expires_at, created_at, released_at, release_reason;

-- insert_hold --
-- A live hold expiring :ttl (an interval) from now on the clock (the caller holds the resource's lock).
INSERT INTO holds (tenant_id, id, resource_id, holder_id, period, expires_at)
VALUES (:tenant_id, :hold_id, :resource_id, :holder_id, tstzrange(:start, :end, '[)'),
        clock_timestamp() + :ttl::interval)
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id,
    expires_at, created_at;

-- lock_hold --
-- The advisory lock of the hold's resource, then the hold's row locked; live means unreleased and before expires_at.
SELECT pg_advisory_xact_lock(
        hashtextextended(:tenant_id::uuid::text || '/' || h.resource_id::text, 0))::text
        AS locked,
    h.id, h.resource_id, lower(h.period) AS start, upper(h.period) AS "end", h.holder_id,
    h.expires_at, h.created_at, h.released_at, h.release_reason,
    h.released_at IS NULL AND h.expires_at > clock_timestamp() AS live
FROM holds h
WHERE h.tenant_id = :tenant_id AND h.id = :hold_id
FOR UPDATE OF h;

-- release_hold --
-- End an unreleased hold for a reason; no row when it was already released.
UPDATE holds SET released_at = clock_timestamp(), release_reason = :reason
WHERE tenant_id = :tenant_id AND id = :hold_id AND released_at IS NULL
RETURNING id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id,
    expires_at, created_at, released_at, release_reason;

-- list_holds --
-- A page of live holds by (start, id), of one resource or all; continues after (:after_start, :after_id).
SELECT id, resource_id, lower(period) AS start, upper(period) AS "end", holder_id, expires_at,
    created_at
FROM holds
WHERE tenant_id = :tenant_id AND released_at IS NULL AND expires_at > clock_timestamp()
  AND (:resource_id::uuid IS NULL OR resource_id = :resource_id)
  AND (:after_start::timestamptz IS NULL OR (lower(period), id) > (:after_start, :after_id::uuid))
ORDER BY lower(period), id
LIMIT :limit;

-- expired_holds --
-- Expired holds not yet released, of every tenant (a definer function), oldest first.
SELECT tenant_id, id FROM app_expired_holds(:limit);
