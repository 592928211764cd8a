-- insert_resource --
-- Create a resource of the current tenant.
INSERT INTO resources (tenant_id, id, name, kind, timezone, skills, working_hours)
VALUES (:tenant_id, :resource_id, :name, :kind, :timezone, :skills, :working_hours)
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- get_resource --
-- One resource of the current tenant.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources WHERE tenant_id = :tenant_id AND id = :resource_id;

-- lock_resource --
-- One resource of the current tenant, locked for an update in this transaction.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources WHERE tenant_id = :tenant_id AND id = :resource_id FOR UPDATE;

-- update_resource --
-- Replace a resource's editable fields.
UPDATE resources
SET name = :name, kind = :kind, timezone = :timezone, skills = :skills,
    working_hours = :working_hours, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :resource_id
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- deactivate_resource --
-- Soft-delete a resource: it stays for history but takes no new bookings.
UPDATE resources
SET deactivated_at = now(), deactivated_by = :by, deactivation_reason = :reason, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :resource_id AND deactivated_at IS NULL
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- list_resources --
-- A page of resources by (name, id), filtered by kind, skill and active; :after_name/:after_id continue after a key.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources
WHERE tenant_id = :tenant_id
  AND (:kind::text IS NULL OR kind = :kind)
  AND (:skill::text IS NULL OR skills @> ARRAY[:skill::text])
  AND (:active::boolean IS NULL OR (deactivated_at IS NULL) = :active)
  AND (:after_name::text IS NULL OR (name, id) > (:after_name, :after_id::uuid))
ORDER BY name, id
LIMIT :limit;

-- reactivate_resource --
-- Undo a soft delete: the resource takes new bookings again.
UPDATE resources
SET deactivated_at = NULL, deactivated_by = NULL, deactivation_reason = NULL, updated_at = now()
WHERE tenant_id = :tenant_id AND id = :resource_id AND deactivated_at IS NOT NULL
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;
