-- booking_context --
-- Advisory lock on the resource (skipped when a conflict is already committed), blocking bookings overlapping [$4, $5) but $6 (null if none, or $4 null), now(), resource, project, settings.
SELECT app_lock_resource($1, $2, $4, $5, $6) AS conflicts, now() AS now,
    r.id AS resource_id, r.timezone, r.working_hours,
    r.deactivated_at AS resource_deactivated_at,
    p.id AS project_id, p.budget_hours, p.deactivated_at AS project_deactivated_at,
    s.approval_required, s.max_booking_days, s.escalate_after, s.expire_after,
    s.remind_before, s.auto_complete
FROM workflow_settings s
LEFT JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = $2
LEFT JOIN projects p ON p.tenant_id = s.tenant_id AND p.id = $3
WHERE s.tenant_id = $1;

-- periods_context --
-- The resource's advisory lock (always), what blocks any of [$4[i], $5[i]) with occurrence_start, now(), resource, project, settings.
SELECT app_lock_resource_periods($1, $2, $4::timestamptz[], $5::timestamptz[]) AS conflicts,
    now() AS now, r.id AS resource_id, r.timezone, r.working_hours,
    r.deactivated_at AS resource_deactivated_at,
    p.id AS project_id, p.budget_hours, p.deactivated_at AS project_deactivated_at,
    s.approval_required, s.max_booking_days, s.escalate_after, s.expire_after,
    s.remind_before, s.auto_complete
FROM workflow_settings s
LEFT JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = $2
LEFT JOIN projects p ON p.tenant_id = s.tenant_id AND p.id = $3
WHERE s.tenant_id = $1;

-- lock_booking_project --
-- Lock a project row so budget checks of concurrent bookings on it run one at a time (edits).
SELECT budget_hours FROM projects WHERE tenant_id = $1 AND id = $2 FOR UPDATE;

-- booking_contexts --
-- The booking context (no project) of up to $2 of the tenant's resources, with stamps: what create_booking judges on.
SELECT c.* FROM resources r CROSS JOIN LATERAL app_booking_context($1, r.id, NULL) c
WHERE r.tenant_id = $1
LIMIT $2;

-- create_booking --
-- A whole create in one statement: role and tenant, resource lock and pre-check, context stamp, budget, number, seq, INSERT, audit, event (app_create_booking, migration 0005).
SELECT * FROM app_create_booking($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                                 $15, $16);

-- project_booked_seconds --
-- Seconds of a project's blocking bookings, except one booking (to explain a refused budget).
SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0) AS seconds
FROM bookings
WHERE tenant_id = $1 AND project_id = $2 AND ($3::uuid IS NULL OR id <> $3)
  AND status IN ('pending', 'confirmed', 'completed');

-- booking_conflicts --
-- Blocking bookings of a resource that overlap a period, except one booking.
SELECT id, number, lower(period) AS start, upper(period) AS "end", status
FROM bookings
WHERE tenant_id = $1 AND resource_id = $2 AND period && tstzrange($3, $4, '[)')
  AND status IN ('pending', 'confirmed', 'completed') AND ($5::uuid IS NULL OR id <> $5)
ORDER BY lower(period), id
LIMIT 20;

-- lock_booking --
-- Advisory lock of the booking's resource, then the booking's latest row locked, with timer settings.
SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || '/' || b.resource_id::text, 0))::text
        AS locked,
    b.id, b.number, b.resource_id, b.project_id, b.requester_id, b.title, b.note,
    lower(b.period) AS start, upper(b.period) AS "end", b.status, b.version, b.created_at,
    b.updated_at, b.escalated_at, b.status_reason, b.series_id,
    s.escalate_after, s.expire_after, s.remind_before, s.auto_complete
FROM bookings b JOIN workflow_settings s ON s.tenant_id = b.tenant_id
WHERE b.tenant_id = $1 AND b.id = $2
FOR UPDATE OF b;

-- get_booking --
-- One booking of the current tenant.
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id
FROM bookings WHERE tenant_id = $1 AND id = $2;

-- update_booking --
-- Edit a pending/confirmed booking at an expected version; no row when stale or over budget $12.
WITH used AS (
    SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0) AS seconds
    FROM bookings
    WHERE tenant_id = $1 AND project_id = $5 AND id <> $2 AND $12::numeric IS NOT NULL
      AND status IN ('pending', 'confirmed', 'completed')
)
UPDATE bookings
SET resource_id = $3, status = $4, project_id = $5, title = $6, note = $7,
    period = tstzrange($8, $9, '[)'), version = version + 1, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND version = $10 AND status = $11
  AND ($12::numeric IS NULL
       OR (SELECT seconds FROM used) + extract(epoch FROM $9::timestamptz - $8::timestamptz)
          <= $12::numeric * 3600)
RETURNING id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id;

-- transition_booking --
-- Guarded transition: from an expected status and version to a new status/mark/resource;
-- status_reason becomes the transition's reason (null if none), an escalation mark keeps it.
UPDATE bookings
SET status = coalesce($5, status),
    status_reason = CASE WHEN $7 THEN status_reason ELSE $6 END,
    escalated_at = CASE WHEN $7 THEN now() ELSE escalated_at END,
    resource_id = coalesce($8, resource_id), version = version + 1, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND status = $3 AND version = $4
RETURNING id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id;

-- list_bookings --
-- A page of bookings by (start, id), each filter optional; $8/$9 continue after a key.
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, status_reason, series_id
FROM bookings
WHERE tenant_id = $1
  AND ($2::uuid IS NULL OR resource_id = $2)
  AND ($3::uuid IS NULL OR project_id = $3)
  AND ($4::uuid IS NULL OR requester_id = $4)
  AND ($5::text[] IS NULL OR status = any($5::text[]))
  AND period && tstzrange($6::timestamptz, $7::timestamptz, '[)')
  AND ($8::timestamptz IS NULL OR (lower(period), id) > ($8, $9::uuid))
ORDER BY lower(period), id
LIMIT $10;
