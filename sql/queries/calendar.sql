-- calendar_bookings --
-- One resource's name with its latest blocking bookings overlapping [:start, :end) (null :end: no end), newest first, at most :limit.
SELECT r.name AS resource_name, b.id, b.number, b.title, b.note, b.start, b."end", b.status,
       b.version, b.updated_at
FROM resources r
LEFT JOIN LATERAL (
    SELECT id, number, title, note, lower(period) AS start, upper(period) AS "end", status,
           version, updated_at
    FROM bookings
    WHERE tenant_id = r.tenant_id AND resource_id = r.id
      AND app_blocking(status)
      AND period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
    ORDER BY lower(period) DESC, id DESC
    LIMIT :limit
) b ON true
WHERE r.tenant_id = :tenant_id AND r.id = :resource_id;

-- insert_calendar_feed --
-- A new feed of the caller's (or a resource's) bookings, known by the hash of its secret.
INSERT INTO calendar_feeds (tenant_id, id, user_id, resource_id, secret_hash)
VALUES (:tenant_id, :feed_id, :user_id, :resource_id, :secret_hash)
RETURNING id, resource_id, created_at;

-- list_calendar_feeds --
-- A page of a user's feeds that still work ordered by (created_at, id), after an optional keyset cursor.
SELECT id, resource_id, created_at FROM calendar_feeds
WHERE tenant_id = :tenant_id AND user_id = :user_id AND deleted_at IS NULL
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) > (:after_created_at, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;

-- delete_calendar_feed --
-- Revoke one of the user's feeds.
UPDATE calendar_feeds SET deleted_at = now()
WHERE tenant_id = :tenant_id AND id = :feed_id AND user_id = :user_id AND deleted_at IS NULL
RETURNING id;

-- calendar_feed --
-- A feed that still works (not revoked, its user active), with the hash to check the secret against.
SELECT f.secret_hash, f.user_id, f.resource_id, u.name AS user_name
FROM calendar_feeds f
JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
WHERE f.tenant_id = :tenant_id AND f.id = :feed_id AND f.deleted_at IS NULL
  AND u.deactivated_at IS NULL;

-- requester_calendar_bookings --
-- A user's latest blocking bookings overlapping [:start, :end) (null :end: no end), with resource names, newest first, at most :limit.
SELECT b.id, b.number, b.title, b.note, lower(b.period) AS start, upper(b.period) AS "end",
       b.status, b.version, b.updated_at, r.name AS resource_name
FROM bookings b
JOIN resources r ON r.tenant_id = b.tenant_id AND r.id = b.resource_id
WHERE b.tenant_id = :tenant_id AND b.requester_id = :user_id
  AND app_blocking(b.status)
  AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY lower(b.period) DESC, b.id DESC
LIMIT :limit;
