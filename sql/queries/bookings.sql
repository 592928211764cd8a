-- booking_context --
-- Advisory lock on the resource (skipped when a conflict is already committed), blocking bookings overlapping [:start, :end) but :excluding (null if none, or :start null), now(), and the context (app_booking_context: resource, project, settings).
SELECT app_lock_resource(:tenant_id, :resource_id, :start, :end, :excluding) AS conflicts,
    now() AS now, c.*
FROM app_booking_context(:tenant_id, :resource_id, :project_id) c;

-- periods_context --
-- The resource's advisory lock (always), what blocks any of [:starts[i], :ends[i]) with occurrence_start, now(), and the context (app_booking_context).
SELECT app_lock_resource_periods(:tenant_id, :resource_id, :starts::timestamptz[],
                                 :ends::timestamptz[]) AS conflicts,
    now() AS now, c.*
FROM app_booking_context(:tenant_id, :resource_id, :project_id) c;

-- lock_booking_project --
-- Lock a project row so budget checks of concurrent bookings on it run one at a time (edits).
SELECT budget_hours FROM projects WHERE tenant_id = :tenant_id AND id = :project_id FOR UPDATE;

-- booking_contexts --
-- The booking context (no project) of up to :limit of the tenant's resources, with stamps: what create_booking judges on.
SELECT c.* FROM resources r CROSS JOIN LATERAL app_booking_context(:tenant_id, r.id, NULL) c
WHERE r.tenant_id = :tenant_id
LIMIT :limit;

-- create_booking --
-- A whole create in one statement: role and tenant, resource lock and pre-check, context stamp, budget, number, seq, INSERT, audit, event (app_create_booking, migration 0005).
SELECT * FROM app_create_booking(:app_role, :tenant_id, :stamp, :booking_id, :resource_id,
                                 :project_id, :requester_id, :title, :note, :start, :end, :status,
                                 :audit_id, :correlation_id, :after, :diff);

-- project_booked_seconds --
-- Seconds of a project's blocking bookings but booking :excluding (to explain a refused budget).
-- The sum is app_project_booked_seconds; :excluding is always a booking being edited, so
-- pending or confirmed (EDITABLE) and locked: its seconds count there when on this project.
SELECT app_project_booked_seconds(:tenant_id, :project_id)
    - coalesce((SELECT extract(epoch FROM upper(b.period) - lower(b.period))
                FROM bookings b
                WHERE b.tenant_id = :tenant_id AND b.id = :excluding
                  AND b.project_id = :project_id), 0) AS seconds;

-- booking_conflicts --
-- Blocking bookings of a resource that overlap a period, except one booking.
SELECT id, number, lower(period) AS start, upper(period) AS "end", status
FROM bookings
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND period && tstzrange(:start, :end, '[)')
  AND app_blocking(status)
  AND (:excluding::uuid IS NULL OR id <> :excluding)
ORDER BY lower(period), id
LIMIT 20;

-- lock_booking --
-- Advisory lock of the booking's resource, then the booking's latest row locked, with timer settings.
SELECT pg_advisory_xact_lock(
        hashtextextended(:tenant_id::uuid::text || '/' || b.resource_id::text, 0))::text
        AS locked,
    b.id, b.number, b.resource_id, b.project_id, b.requester_id, b.title, b.note,
    lower(b.period) AS start, upper(b.period) AS "end", b.status, b.version, b.created_at,
    b.updated_at, b.escalated_at, b.status_reason, b.series_id,
    s.escalate_after, s.expire_after, s.remind_before, s.auto_complete
FROM bookings b JOIN workflow_settings s ON s.tenant_id = b.tenant_id
WHERE b.tenant_id = :tenant_id AND b.id = :booking_id
FOR UPDATE OF b;

-- get_booking --
-- One booking of the current tenant.
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id
FROM bookings WHERE tenant_id = :tenant_id AND id = :booking_id;

-- update_booking --
-- Edit a pending/confirmed booking at an expected version; no row when stale or over budget :budget_hours.
-- Budget use is app_project_booked_seconds less the row's own seconds when it counts there
-- (on that project: pending and confirmed are blocking), plus the new period's.
WITH used AS (
    SELECT app_project_booked_seconds(:tenant_id, :project_id) AS seconds
    WHERE :budget_hours::numeric IS NOT NULL
)
UPDATE bookings
SET resource_id = :resource_id, status = :status, project_id = :project_id, title = :title,
    note = :note, period = tstzrange(:start, :end, '[)'), version = version + 1,
    updated_at = now()
WHERE tenant_id = :tenant_id AND id = :booking_id AND version = :expected_version
  AND status = :expected_status
  AND (:budget_hours::numeric IS NULL
       OR (SELECT seconds FROM used)
          - CASE WHEN project_id = :project_id
                 THEN extract(epoch FROM upper(period) - lower(period)) ELSE 0 END
          + extract(epoch FROM :end::timestamptz - :start::timestamptz)
          <= :budget_hours::numeric * 3600)
RETURNING id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id;

-- transition_booking --
-- Guarded transition: from an expected status and version to a new status/mark/resource;
-- status_reason becomes the transition's reason (null if none), an escalation mark keeps it.
UPDATE bookings
SET status = coalesce(:status, status),
    status_reason = CASE WHEN :escalate THEN status_reason ELSE :reason END,
    escalated_at = CASE WHEN :escalate THEN now() ELSE escalated_at END,
    resource_id = coalesce(:resource_id, resource_id), version = version + 1, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :booking_id AND status = :expected_status
  AND version = :expected_version
RETURNING id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id;

-- list_bookings --
-- A page of bookings by (start, id), each filter optional; :after_start/:after_id continue after a key.
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id
FROM bookings
WHERE tenant_id = :tenant_id
  AND (:resource_id::uuid IS NULL OR resource_id = :resource_id)
  AND (:project_id::uuid IS NULL OR project_id = :project_id)
  AND (:requester_id::uuid IS NULL OR requester_id = :requester_id)
  AND (:statuses::text[] IS NULL OR status = any(:statuses::text[]))
  AND period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
  AND (:after_start::timestamptz IS NULL OR (lower(period), id) > (:after_start, :after_id::uuid))
ORDER BY lower(period), id
LIMIT :limit;
