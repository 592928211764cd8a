-- insert_resource --
-- Create a resource of the current tenant.
INSERT INTO resources (tenant_id, id, name, kind, timezone, skills, working_hours)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- get_resource --
-- One resource of the current tenant.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources WHERE tenant_id = $1 AND id = $2;

-- lock_resource --
-- One resource of the current tenant, locked for an update in this transaction.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources WHERE tenant_id = $1 AND id = $2 FOR UPDATE;

-- update_resource --
-- Replace a resource's editable fields.
UPDATE resources
SET name = $3, kind = $4, timezone = $5, skills = $6, working_hours = $7, updated_at = now()
WHERE tenant_id = $1 AND id = $2
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- deactivate_resource --
-- Soft-delete a resource: it stays for history but takes no new bookings.
UPDATE resources
SET deactivated_at = now(), deactivated_by = $3, deactivation_reason = $4, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND deactivated_at IS NULL
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;

-- list_resources --
-- A page of resources by (name, id), filtered by kind, skill and active; $5/$6 continue after a key.
SELECT id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason
FROM resources
WHERE tenant_id = $1
  AND ($2::text IS NULL OR kind = $2)
  AND ($3::text IS NULL OR skills @> ARRAY[$3::text])
  AND ($4::boolean IS NULL OR (deactivated_at IS NULL) = $4)
  AND ($5::text IS NULL OR (name, id) > ($5, $6::uuid))
ORDER BY name, id
LIMIT $7;

-- reactivate_resource --
-- Undo a soft delete: the resource takes new bookings again.
UPDATE resources
SET deactivated_at = NULL, deactivated_by = NULL, deactivation_reason = NULL, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND deactivated_at IS NOT NULL
RETURNING id, name, kind, timezone, skills, working_hours, created_at, updated_at,
    deactivated_at, deactivated_by, deactivation_reason;
