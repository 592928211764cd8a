-- insert_webhook --
-- Register a webhook; its cursor starts at the tenant's head, so only later events go out.
INSERT INTO webhooks (tenant_id, id, url, events, secret, created_by, cursor_seq)
SELECT $1, $2, $3, $4, $5, $6, coalesce((SELECT event_seq FROM tenant_counters WHERE tenant_id = $1), 0)
RETURNING id, url, events, secret, created_at;

-- list_webhooks --
-- The tenant's active webhooks, oldest first.
SELECT id, url, events, created_at FROM webhooks
WHERE tenant_id = $1 AND deleted_at IS NULL
ORDER BY created_at, id;

-- delete_webhook --
-- Stop a webhook; its delivery log stays readable until pruned.
UPDATE webhooks SET deleted_at = now(), retry_at = NULL
WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING id;

-- webhook_exists --
-- Whether an active webhook has this id.
SELECT EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL);

-- list_webhook_deliveries --
-- A webhook's latest deliveries, newest event first, at most $3.
SELECT id, event_seq, event_type, state, attempts, last_status, last_error, response_excerpt,
       created_at, last_attempt_at, next_attempt_at, delivered_at
FROM webhook_deliveries
WHERE tenant_id = $1 AND webhook_id = $2
ORDER BY event_seq DESC LIMIT $3;

-- webhook_backlog --
-- Active webhooks with events past their cursor and no later retry pending (a definer function).
SELECT tenant_id, id FROM app_webhook_backlog($1);

-- claim_webhook_event --
-- Lock one active webhook (nothing while another worker holds it) with the first event past its cursor it wants, that event's attempts so far, and the newest seq past the cursor.
WITH hook AS (
    SELECT id, url, events, secret, cursor_seq, retry_at FROM webhooks
    WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
    FOR UPDATE SKIP LOCKED
), nxt AS (
    SELECT e.seq, e.type, e.at, e.actor_id, e.data FROM hook, events e
    WHERE e.tenant_id = $1 AND e.seq > hook.cursor_seq
      AND ('*' = any(hook.events) OR e.type = any(hook.events))
    ORDER BY e.seq LIMIT 1
)
SELECT hook.url, hook.secret, hook.retry_at,
       (SELECT max(e.seq) FROM events e WHERE e.tenant_id = $1 AND e.seq > hook.cursor_seq)
           AS head,
       nxt.seq, nxt.type, nxt.at, nxt.actor_id, nxt.data, coalesce(d.attempts, 0) AS attempts
FROM hook
LEFT JOIN nxt ON true
LEFT JOIN webhook_deliveries d
    ON d.tenant_id = $1 AND d.webhook_id = $2 AND d.event_seq = nxt.seq;

-- skip_webhook_events --
-- Move the cursor past events the webhook does not want.
UPDATE webhooks SET cursor_seq = greatest(cursor_seq, $3)
WHERE tenant_id = $1 AND id = $2;

-- record_webhook_attempt --
-- Log one attempt of a delivery; on success or giving up the cursor moves past its event, else the webhook waits for the retry.
WITH delivery AS (
    INSERT INTO webhook_deliveries AS d (
        tenant_id, id, webhook_id, event_seq, event_type, state, attempts, last_status,
        last_error, response_excerpt, last_attempt_at, next_attempt_at, delivered_at)
    VALUES ($1, $3, $2, $4, $5, $6, 1, $7, $8, $9, now(), $10,
            CASE WHEN $6 = 'delivered' THEN now() END)
    ON CONFLICT (tenant_id, webhook_id, event_seq) DO UPDATE
    SET state = excluded.state, attempts = d.attempts + 1, last_status = excluded.last_status,
        last_error = excluded.last_error, response_excerpt = excluded.response_excerpt,
        last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at,
        delivered_at = excluded.delivered_at
    RETURNING attempts
)
UPDATE webhooks
SET cursor_seq = CASE WHEN $6 = 'pending' THEN cursor_seq ELSE $4 END,
    retry_at = CASE WHEN $6 = 'pending' THEN $10 END
WHERE tenant_id = $1 AND id = $2
RETURNING (SELECT attempts FROM delivery);
