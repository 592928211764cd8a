-- insert_project --
-- Create a project of the current tenant (nothing booked on it yet).
INSERT INTO projects (tenant_id, id, name, code, budget_hours)
VALUES (:tenant_id, :project_id, :name, :code, :budget_hours)
RETURNING id, name, code, budget_hours, 0::numeric AS booked_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- get_project --
-- One project with the hours of its pending, confirmed and completed bookings.
SELECT p.id, p.name, p.code, p.budget_hours,
    project_booked_hours(p.tenant_id, p.id) AS booked_hours,
    p.created_at, p.updated_at, p.deactivated_at, p.deactivated_by, p.deactivation_reason
FROM projects p
WHERE p.tenant_id = :tenant_id AND p.id = :project_id;

-- lock_project --
-- One project row locked for this transaction (edits, and budget checks of bookings).
SELECT id, name, code, budget_hours, deactivated_at
FROM projects WHERE tenant_id = :tenant_id AND id = :project_id FOR UPDATE;

-- update_project --
-- Replace a project's editable fields; returns it with its booked hours.
WITH p AS (
    UPDATE projects SET name = :name, code = :code, budget_hours = :budget_hours, updated_at = now()
    WHERE tenant_id = :tenant_id AND id = :project_id
    RETURNING tenant_id, id, name, code, budget_hours, created_at, updated_at,
        deactivated_at, deactivated_by, deactivation_reason
)
SELECT p.id, p.name, p.code, p.budget_hours,
    project_booked_hours(p.tenant_id, p.id) AS booked_hours,
    p.created_at, p.updated_at, p.deactivated_at, p.deactivated_by, p.deactivation_reason
FROM p;

-- deactivate_project --
-- Soft-delete a project: it stays for history but takes no new bookings.
WITH p AS (
    UPDATE projects
    SET deactivated_at = now(), deactivated_by = :by, deactivation_reason = :reason,
        updated_at = now()
    WHERE tenant_id = :tenant_id AND id = :project_id AND deactivated_at IS NULL
    RETURNING tenant_id, id, name, code, budget_hours, created_at, updated_at,
        deactivated_at, deactivated_by, deactivation_reason
)
SELECT p.id, p.name, p.code, p.budget_hours,
    project_booked_hours(p.tenant_id, p.id) AS booked_hours,
    p.created_at, p.updated_at, p.deactivated_at, p.deactivated_by, p.deactivation_reason
FROM p;

-- list_projects --
-- A page of projects by (name, id) with booked hours, optionally only active ones.
SELECT p.id, p.name, p.code, p.budget_hours,
    project_booked_hours(p.tenant_id, p.id) AS booked_hours,
    p.created_at, p.updated_at, p.deactivated_at, p.deactivated_by, p.deactivation_reason
FROM projects p
WHERE p.tenant_id = :tenant_id
  AND (:active::boolean IS NULL OR (p.deactivated_at IS NULL) = :active)
  AND (:after_name::text IS NULL OR (p.name, p.id) > (:after_name, :after_id::uuid))
ORDER BY p.name, p.id
LIMIT :limit;

-- reactivate_project --
-- Undo a soft delete: the project takes new bookings again; returns it with booked hours.
WITH p AS (
    UPDATE projects
    SET deactivated_at = NULL, deactivated_by = NULL, deactivation_reason = NULL,
        updated_at = now()
    WHERE tenant_id = :tenant_id AND id = :project_id AND deactivated_at IS NOT NULL
    RETURNING tenant_id, id, name, code, budget_hours, created_at, updated_at,
        deactivated_at, deactivated_by, deactivation_reason
)
SELECT p.id, p.name, p.code, p.budget_hours,
    project_booked_hours(p.tenant_id, p.id) AS booked_hours,
    p.created_at, p.updated_at, p.deactivated_at, p.deactivated_by, p.deactivation_reason
FROM p;
