-- get_workflow_settings --
-- The tenant's workflow settings.
SELECT approval_required, escalate_after, expire_after, remind_before, auto_complete,
       max_booking_days, updated_at
FROM workflow_settings WHERE tenant_id = :tenant_id;

-- lock_workflow_settings --
-- The tenant's workflow settings, locked for an update in this transaction.
SELECT approval_required, escalate_after, expire_after, remind_before, auto_complete,
       max_booking_days, updated_at
FROM workflow_settings WHERE tenant_id = :tenant_id FOR UPDATE;

-- update_workflow_settings --
-- Replace the tenant's workflow settings.
UPDATE workflow_settings
SET approval_required = :approval_required, escalate_after = :escalate_after,
    expire_after = :expire_after, remind_before = :remind_before, auto_complete = :auto_complete,
    max_booking_days = :max_booking_days, updated_at = now()
WHERE tenant_id = :tenant_id
RETURNING approval_required, escalate_after, expire_after, remind_before, auto_complete,
          max_booking_days, updated_at;

-- due_timers --
-- Pending timers whose time has come, across tenants (a definer function), oldest first.
SELECT tenant_id, id, booking_id, kind, booking_version FROM app_due_timers(:limit);

-- peek_timer --
-- One pending timer, unlocked: which booking to lock before firing it.
SELECT id, booking_id, kind, due_at <= now() AS due FROM workflow_timers
WHERE tenant_id = :tenant_id AND id = :timer_id AND state = 'pending';

-- next_due_timer --
-- The booking's earliest pending timer that is due, locked (its booking is locked first).
SELECT id, booking_id, kind, due_at, booking_version FROM workflow_timers
WHERE tenant_id = :tenant_id AND booking_id = :booking_id AND state = 'pending' AND due_at <= now()
ORDER BY due_at, id
LIMIT 1
FOR UPDATE;

-- finish_timer --
-- Mark a claimed timer done (applied) or cancelled (moot); it stays locked by this transaction.
UPDATE workflow_timers SET state = :state, fired_at = now()
WHERE tenant_id = :tenant_id AND id = :timer_id;

-- reminder_sent --
-- Whether a reminder for this booking and this due time was already sent.
SELECT EXISTS (
    SELECT 1 FROM workflow_timers
    WHERE tenant_id = :tenant_id AND booking_id = :booking_id AND kind = 'remind' AND state = 'done'
      AND due_at = :due_at
);

-- ensure_audit_partitions --
-- Create the monthly audit partitions that are missing, a few months ahead.
SELECT app_ensure_audit_partitions(:months_ahead);

-- prune_events --
-- Delete events older than the retention window.
SELECT app_prune_events(now() - :older_than::interval);

-- prune_idempotency_keys --
-- Delete idempotency keys past their lifetime.
SELECT app_prune_idempotency_keys(now() - :older_than::interval);
