-- What one booking create transaction sends, as pgbench runs it (-M prepared): the
-- tenant's set_config, booking_context (advisory lock, overlap pre-check, resource/project/
-- settings) and insert_booking (number and seq, INSERT, audit, event, NOTIFY in one statement),
-- copied from sql/queries. Each client books its own resource (:idx into the lists the
-- tool passes with -D), one hour after the other, so no two transactions conflict.
\set idx :client_id + 1
\set n :n + 1
\set hour :base + :n
BEGIN;
SELECT set_config('role', 'booking_app', true) AS role,
    set_config('app.tenant_id', (string_to_array(:tenants, ','))[:idx::int], true) AS tenant,
    (string_to_array(:resources, ','))[:idx::int] AS resource,
    (string_to_array(:users, ','))[:idx::int] AS requester \gset
SELECT app_lock_resource(:tenant::uuid, :resource::uuid,
        timestamptz '2100-01-04 00:00Z' + :hour::int * interval '1 hour',
        timestamptz '2100-01-04 01:00Z' + :hour::int * interval '1 hour', NULL) AS conflicts, now() AS now,
    r.id AS resource_id, r.timezone, r.working_hours,
    r.deactivated_at AS resource_deactivated_at,
    p.id AS project_id, p.budget_hours, p.deactivated_at AS project_deactivated_at,
    s.approval_required, s.max_booking_days, s.escalate_after, s.expire_after,
    s.remind_before, s.auto_complete
FROM workflow_settings s
LEFT JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = :resource::uuid
LEFT JOIN projects p ON p.tenant_id = s.tenant_id AND p.id = NULL::uuid
WHERE s.tenant_id = :tenant::uuid;
WITH used AS (
    SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0) AS seconds
    FROM bookings
    WHERE tenant_id = :tenant::uuid AND project_id = NULL::uuid AND NULL::numeric IS NOT NULL
      AND status IN ('pending', 'confirmed', 'completed')
), n AS (
    UPDATE tenant_counters
    SET booking_number = booking_number + 1, event_seq = event_seq + 1
    WHERE tenant_id = :tenant::uuid
    RETURNING booking_number, event_seq
), b AS (
    INSERT INTO bookings (tenant_id, id, number, resource_id, project_id, requester_id, title,
                          note, period, status)
    SELECT :tenant::uuid, gen_random_uuid(), n.booking_number, :resource::uuid, NULL,
        :requester::uuid, '', '',
        tstzrange(timestamptz '2100-01-04 00:00Z' + :hour::int * interval '1 hour',
                  timestamptz '2100-01-04 01:00Z' + :hour::int * interval '1 hour', '[)'),
        'confirmed' FROM n
    RETURNING id, number, resource_id, project_id, requester_id, title, note,
        lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
        escalated_at
), data AS (
    SELECT jsonb_set(:after::jsonb, '{number}', to_jsonb(b.number)) AS after,
        jsonb_set(:diff::jsonb, '{number}', jsonb_build_array(NULL, b.number)) AS diff
    FROM b
), audit AS (
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    SELECT :tenant::uuid, gen_random_uuid(), :requester::uuid, 'booking.created', 'booking',
        b.id, 'pgbench', NULL, data.after, data.diff FROM b, data
), event AS (
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    SELECT :tenant::uuid, n.event_seq, 'booking.created', :requester::uuid, 'booking', b.id,
        data.after FROM n, b, data
    RETURNING seq
)
SELECT b.*, pg_notify('booking_events', :tenant::text || ':' || event.seq) FROM b, event;
END;
