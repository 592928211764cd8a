-- insert_role_notifications --
-- Queue one message for every active user holding one of the given roles, but the one who acted and those who switched this kind off.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body, html, ics,
                           ics_method)
SELECT :tenant_id, gen_random_uuid(), u.id, :kind, u.email, :subject, :body, :html, :ics,
    :ics_method
FROM users u
LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
WHERE u.tenant_id = :tenant_id AND u.role = any(:roles::text[]) AND u.deactivated_at IS NULL
  AND u.id IS DISTINCT FROM :except_user::uuid AND coalesce((p.email ->> :kind)::boolean, true)
RETURNING id;

-- insert_user_notification --
-- Queue one message for one active user of the tenant, unless they switched this kind off.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body, html, ics,
                           ics_method)
SELECT :tenant_id, gen_random_uuid(), u.id, :kind, u.email, :subject, :body, :html, :ics,
    :ics_method
FROM users u
LEFT JOIN notification_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
WHERE u.tenant_id = :tenant_id AND u.id = :user_id AND u.deactivated_at IS NULL
  AND coalesce((p.email ->> :kind)::boolean, true)
RETURNING id;

-- due_notifications --
-- Pending messages whose next attempt is due, across tenants (a definer function).
SELECT tenant_id, id FROM app_due_notifications(:limit);

-- claim_notification --
-- Lock one due, pending message; nothing when sent, failed, not yet due or being sent.
SELECT id, kind, to_address, subject, body, html, ics, ics_method, attempts FROM notifications
WHERE tenant_id = :tenant_id AND id = :notification_id AND state = 'pending'
  AND next_attempt_at <= now()
FOR UPDATE SKIP LOCKED;

-- mark_notification_sent --
-- Record a delivered message.
UPDATE notifications
SET state = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
WHERE tenant_id = :tenant_id AND id = :notification_id;

-- mark_notification_failed_attempt --
-- Record a failed attempt: retry after the given delay, or give up when told to.
UPDATE notifications
SET attempts = attempts + 1, last_error = :error, next_attempt_at = now() + :retry_in::interval,
    state = CASE WHEN :give_up THEN 'failed' ELSE 'pending' END
WHERE tenant_id = :tenant_id AND id = :notification_id
RETURNING state, attempts, next_attempt_at;

-- mail_names --
-- The names a booking's mail mentions: tenant, its time zone, resource, requester, actor.
SELECT t.name AS tenant, t.timezone, r.name AS resource, q.name AS requester,
       q.email AS requester_email, a.name AS actor
FROM tenants t
JOIN resources r ON r.tenant_id = t.id AND r.id = :resource_id
JOIN users q ON q.tenant_id = t.id AND q.id = :requester_id
LEFT JOIN users a ON a.tenant_id = t.id AND a.id = :actor_id
WHERE t.id = :tenant_id;

-- booking_change_fields --
-- The fields a booking's change event changed, from the audit entry written with it.
SELECT diff FROM audit_log
WHERE tenant_id = :tenant_id AND entity_type = 'booking' AND entity_id = :booking_id AND at = :at
  AND action = :action
LIMIT 1;

-- mail_backlog --
-- Tenants with events the mail dispatcher has not looked at (a definer function).
SELECT tenant_id FROM app_mail_backlog(:limit);

-- ensure_mail_cursor --
-- A tenant's mail cursor, starting before its first event.
INSERT INTO mail_cursors (tenant_id, seq) VALUES (:tenant_id, 0) ON CONFLICT (tenant_id) DO NOTHING;

-- lock_mail_cursor --
-- Lock the tenant's mail cursor; nothing while another worker holds it.
SELECT seq FROM mail_cursors WHERE tenant_id = :tenant_id FOR UPDATE SKIP LOCKED;

-- advance_mail_cursor --
-- Record the last event turned into mail.
UPDATE mail_cursors SET seq = :seq WHERE tenant_id = :tenant_id;

-- get_notification_preferences --
-- The kinds of mail a user switched on or off (absent: on).
SELECT email FROM notification_preferences WHERE tenant_id = :tenant_id AND user_id = :user_id;

-- put_notification_preferences --
-- Replace a user's mail switches.
INSERT INTO notification_preferences (tenant_id, user_id, email)
VALUES (:tenant_id, :user_id, :email)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = excluded.email, updated_at = now()
RETURNING email;

-- mail_events --
-- The newest seq among the next events past the mail cursor, and those of them that may send mail: of the given types, a created booking only with the given status.
WITH next AS (
    SELECT seq, type, at, actor_id, data FROM events
    WHERE tenant_id = :tenant_id AND seq > :after ORDER BY seq LIMIT :limit
)
SELECT (SELECT max(seq) FROM next) AS last, m.seq, m.type, m.at, m.actor_id, m.data
FROM (SELECT 1) one
LEFT JOIN LATERAL (
    SELECT * FROM next
    WHERE type = any(:types::text[])
      AND (type <> 'booking.created' OR data ->> 'status' = :created_status)
    ORDER BY seq
) m ON true
ORDER BY m.seq;
