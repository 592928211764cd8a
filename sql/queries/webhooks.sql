-- insert_webhook --
-- Register a webhook; its cursor starts at the tenant's head, so only later events go out.
INSERT INTO webhooks (tenant_id, id, url, events, secret, created_by, cursor_seq)
SELECT :tenant_id, :webhook_id, :url, :events, :secret, :created_by,
    coalesce((SELECT event_seq FROM tenant_counters WHERE tenant_id = :tenant_id), 0)
RETURNING id, url, events, secret, created_at;

-- list_webhooks --
-- A page of the tenant's active webhooks ordered by (created_at, id), after an optional keyset cursor.
SELECT id, url, events, created_at FROM webhooks
WHERE tenant_id = :tenant_id AND deleted_at IS NULL
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) > (:after_created_at, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;

-- delete_webhook --
-- Stop a webhook; its delivery log stays readable until pruned.
UPDATE webhooks SET deleted_at = now(), retry_at = NULL
WHERE tenant_id = :tenant_id AND id = :webhook_id AND deleted_at IS NULL
RETURNING id;

-- webhook_exists --
-- Whether an active webhook has this id.
SELECT EXISTS (
    SELECT 1 FROM webhooks
    WHERE tenant_id = :tenant_id AND id = :webhook_id AND deleted_at IS NULL);

-- list_webhook_deliveries --
-- A webhook's latest deliveries, newest event first, at most :limit.
SELECT id, event_seq, event_type, state, attempts, last_status, last_error, response_excerpt,
       created_at, last_attempt_at, next_attempt_at, delivered_at
FROM webhook_deliveries
WHERE tenant_id = :tenant_id AND webhook_id = :webhook_id
ORDER BY event_seq DESC LIMIT :limit;

-- webhook_backlog --
-- Active webhooks with events past their cursor and no later retry pending (a definer function).
SELECT tenant_id, id FROM app_webhook_backlog(:limit);

-- claim_webhook --
-- Lock one active webhook for delivery; nothing while another worker holds it.
SELECT url, secret, events, cursor_seq, retry_at FROM webhooks
WHERE tenant_id = :tenant_id AND id = :webhook_id AND deleted_at IS NULL
FOR UPDATE SKIP LOCKED;

-- webhook_events --
-- The next events past the cursor the webhook wants, in seq order, with their attempts so far, and the newest seq past the cursor.
SELECT (SELECT max(seq) FROM events WHERE tenant_id = :tenant_id AND seq > :after) AS head,
       e.seq, e.type, e.at, e.actor_id, e.data, coalesce(d.attempts, 0) AS attempts
FROM (SELECT 1) one
LEFT JOIN LATERAL (
    SELECT seq, type, at, actor_id, data FROM events
    WHERE tenant_id = :tenant_id AND seq > :after
      AND ('*' = any(:types::text[]) OR type = any(:types::text[]))
    ORDER BY seq LIMIT :limit
) e ON true
LEFT JOIN webhook_deliveries d
    ON d.tenant_id = :tenant_id AND d.webhook_id = :webhook_id AND d.event_seq = e.seq
ORDER BY e.seq;

-- skip_webhook_events --
-- Move the cursor past events the webhook does not want.
UPDATE webhooks SET cursor_seq = greatest(cursor_seq, :through)
WHERE tenant_id = :tenant_id AND id = :webhook_id;

-- record_webhook_attempts --
-- Log a run of attempts; the cursor moves past the last event delivered or given up, and a pending retry blocks the webhook until it is due.
WITH attempt AS (
    SELECT * FROM unnest(:delivery_ids::uuid[], :seqs::bigint[], :event_types::text[],
                         :states::text[], :statuses::integer[], :errors::text[],
                         :excerpts::text[], :attempted_ats::timestamptz[])
        AS a(id, seq, type, state, status, error, excerpt, at)
), logged AS (
    INSERT INTO webhook_deliveries AS d (
        tenant_id, id, webhook_id, event_seq, event_type, state, attempts, last_status,
        last_error, response_excerpt, last_attempt_at, next_attempt_at, delivered_at)
    SELECT :tenant_id, a.id, :webhook_id, a.seq, a.type, a.state, 1, a.status, a.error,
           a.excerpt, a.at,
           CASE WHEN a.state = 'pending' THEN :retry_at::timestamptz END,
           CASE WHEN a.state = 'delivered' THEN a.at END
    FROM attempt a
    ON CONFLICT (tenant_id, webhook_id, event_seq) DO UPDATE
    SET state = excluded.state, attempts = d.attempts + 1, last_status = excluded.last_status,
        last_error = excluded.last_error, response_excerpt = excluded.response_excerpt,
        last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at,
        delivered_at = excluded.delivered_at
)
UPDATE webhooks
SET cursor_seq = greatest(cursor_seq, coalesce(:finished_through, cursor_seq)), retry_at = :retry_at
WHERE tenant_id = :tenant_id AND id = :webhook_id;
