-- insert_role_notifications --
-- Queue one message for every active user holding one of the given roles, but the one who acted and those who switched this kind off.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body, html, ics,
                           ics_method)
SELECT $1, gen_random_uuid(), u.id, $2, u.email, $3, $4, $6, $7, $8
FROM users u
LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
WHERE u.tenant_id = $1 AND u.role = any($5::text[]) AND u.deactivated_at IS NULL
  AND u.id IS DISTINCT FROM $9::uuid AND coalesce((p.email ->> $2)::boolean, true)
RETURNING id;

-- insert_user_notification --
-- Queue one message for one active user of the tenant, unless they switched this kind off.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body, html, ics,
                           ics_method)
SELECT $1, gen_random_uuid(), u.id, $2, u.email, $3, $4, $6, $7, $8
FROM users u
LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
WHERE u.tenant_id = $1 AND u.id = $5 AND u.deactivated_at IS NULL
  AND coalesce((p.email ->> $2)::boolean, true)
RETURNING id;

-- due_notifications --
-- Pending messages whose next attempt is due, across tenants (a definer function).
SELECT tenant_id, id FROM app_due_notifications($1);

-- claim_notification --
-- Lock one due, pending message; nothing when sent, failed, not yet due or being sent.
SELECT id, kind, to_address, subject, body, html, ics, ics_method, attempts FROM notifications
WHERE tenant_id = $1 AND id = $2 AND state = 'pending' AND next_attempt_at <= now()
FOR UPDATE SKIP LOCKED;

-- mark_notification_sent --
-- Record a delivered message.
UPDATE notifications
SET state = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
WHERE tenant_id = $1 AND id = $2;

-- mark_notification_failed_attempt --
-- Record a failed attempt: retry after the given delay, or give up when told to.
UPDATE notifications
SET attempts = attempts + 1, last_error = $3, next_attempt_at = now() + $4::interval,
    state = CASE WHEN $5 THEN 'failed' ELSE 'pending' END
WHERE tenant_id = $1 AND id = $2
RETURNING state, attempts, next_attempt_at;

-- mail_names --
-- The names a booking's mail mentions: tenant, its time zone, resource, requester, actor.
SELECT t.name AS tenant, t.timezone, r.name AS resource, q.name AS requester,
       q.email AS requester_email, a.name AS actor
FROM tenants t
JOIN resources r ON r.tenant_id = t.id AND r.id = $2
JOIN users q ON q.tenant_id = t.id AND q.id = $3
LEFT JOIN users a ON a.tenant_id = t.id AND a.id = $4
WHERE t.id = $1;

-- booking_change_fields --
-- The fields a booking's change event changed, from the audit entry written with it.
SELECT diff FROM audit_log
WHERE tenant_id = $1 AND entity_type = 'booking' AND entity_id = $2 AND at = $3 AND action = $4
LIMIT 1;

-- mail_backlog --
-- Tenants with events the mail dispatcher has not looked at (a definer function).
SELECT tenant_id FROM app_mail_backlog($1);

-- ensure_mail_cursor --
-- A tenant's mail cursor, starting before its first event.
INSERT INTO mail_cursors (tenant_id, seq) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING;

-- lock_mail_cursor --
-- Lock the tenant's mail cursor; nothing while another worker holds it.
SELECT seq FROM mail_cursors WHERE tenant_id = $1 FOR UPDATE SKIP LOCKED;

-- advance_mail_cursor --
-- Record the last event turned into mail.
UPDATE mail_cursors SET seq = $2 WHERE tenant_id = $1;

-- get_notification_preferences --
-- The kinds of mail a user switched on or off (absent: on).
SELECT email FROM notification_preferences WHERE tenant_id = $1 AND user_id = $2;

-- put_notification_preferences --
-- Replace a user's mail switches.
INSERT INTO notification_preferences (tenant_id, user_id, email) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = excluded.email, updated_at = now()
RETURNING email;

-- mail_events --
-- The newest seq among the next events past the mail cursor, and those of them that may send mail: of the given types, a created booking only with the given status.
WITH next AS (
    SELECT seq, type, at, actor_id, data FROM events
    WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
)
SELECT (SELECT max(seq) FROM next) AS last, m.seq, m.type, m.at, m.actor_id, m.data
FROM (SELECT 1) one
LEFT JOIN LATERAL (
    SELECT * FROM next
    WHERE type = any($4::text[]) AND (type <> 'booking.created' OR data ->> 'status' = $5)
    ORDER BY seq
) m ON true
ORDER BY m.seq;
