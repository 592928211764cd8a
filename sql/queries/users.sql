-- insert_user --
-- Create a user of the current tenant.
INSERT INTO users (tenant_id, id, email, name, role, password_hash)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason;

-- get_user --
-- One user of the current tenant.
SELECT id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason
FROM users WHERE tenant_id = $1 AND id = $2;
