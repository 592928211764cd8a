-- insert_role_notifications --
-- Queue one message for every active user holding one of the given roles.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body)
SELECT $1, gen_random_uuid(), u.id, $2, u.email, $3, $4
FROM users u
WHERE u.tenant_id = $1 AND u.role = any($5::text[]) AND u.deactivated_at IS NULL
RETURNING id;

-- insert_user_notification --
-- Queue one message for one active user of the tenant.
INSERT INTO notifications (tenant_id, id, user_id, kind, to_address, subject, body)
SELECT $1, gen_random_uuid(), u.id, $2, u.email, $3, $4
FROM users u
WHERE u.tenant_id = $1 AND u.id = $5 AND u.deactivated_at IS NULL
RETURNING id;

-- due_notifications --
-- Pending messages whose next attempt is due, across tenants (a definer function).
SELECT tenant_id, id FROM app_due_notifications($1);

-- claim_notification --
-- Lock one due, pending message; nothing when sent, failed, not yet due or being sent.
SELECT id, kind, to_address, subject, body, attempts FROM notifications
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
