-- refresh_booking_timers --
-- Cancel a booking's pending timers not in the wanted (kind, due_at) set; the rest follow its version.
UPDATE workflow_timers t
SET state = CASE
        WHEN (t.kind, t.due_at) IN (SELECT * FROM unnest(:kinds::text[], :due_ats::timestamptz[]))
        THEN 'pending' ELSE 'cancelled' END,
    booking_version = :booking_version
WHERE t.tenant_id = :tenant_id AND t.booking_id = :booking_id AND t.state = 'pending';

-- insert_booking_timers --
-- Add the wanted timers a booking lacks; returns the ones added.
INSERT INTO workflow_timers (tenant_id, id, booking_id, kind, due_at, booking_version)
SELECT :tenant_id, w.id, :booking_id, w.kind, w.due_at, :booking_version
FROM unnest(:timer_ids::uuid[], :kinds::text[], :due_ats::timestamptz[]) AS w(id, kind, due_at)
ON CONFLICT (tenant_id, booking_id, kind) WHERE state = 'pending' DO NOTHING
RETURNING id, kind, due_at;

-- get_timer_settings --
-- The tenant's workflow clocks, for keeping a booking's timers in step.
SELECT escalate_after, expire_after, remind_before, auto_complete
FROM workflow_settings WHERE tenant_id = :tenant_id;
