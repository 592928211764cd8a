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

-- insert_calendar_feed --
-- A new feed of the caller's (or a resource's) bookings, known by the hash of its secret.
INSERT INTO calendar_feeds (tenant_id, id, user_id, resource_id, secret_hash)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, resource_id, created_at;

-- list_calendar_feeds --
-- A page of a user's feeds that still work ordered by (created_at, id), after an optional keyset cursor.
SELECT id, resource_id, created_at FROM calendar_feeds
WHERE tenant_id = $1 AND user_id = $2 AND deleted_at IS NULL
  AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4::uuid))
ORDER BY created_at, id
LIMIT $5;

-- delete_calendar_feed --
-- Revoke one of the user's feeds.
UPDATE calendar_feeds SET deleted_at = now()
WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND deleted_at IS NULL
RETURNING id;

-- calendar_feed --
-- A feed that still works (not revoked, its user active), with the hash to check the secret against.
SELECT f.secret_hash, f.user_id, f.resource_id, u.name AS user_name
FROM calendar_feeds f
JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
WHERE f.tenant_id = $1 AND f.id = $2 AND f.deleted_at IS NULL AND u.deactivated_at IS NULL;

-- requester_calendar_bookings --
-- A user's latest blocking bookings overlapping [$3, $4) (null $4: no end), with resource names, newest first, at most $5.
SELECT b.id, b.number, b.title, b.note, lower(b.period) AS start, upper(b.period) AS "end",
       b.status, b.version, b.updated_at, r.name AS resource_name
FROM bookings b
JOIN resources r ON r.tenant_id = b.tenant_id AND r.id = b.resource_id
WHERE b.tenant_id = $1 AND b.requester_id = $2
  AND b.status IN ('pending', 'confirmed', 'completed')
  AND b.period && tstzrange($3::timestamptz, $4::timestamptz, '[)')
ORDER BY lower(b.period) DESC, b.id DESC
LIMIT $5;
