-- insert_tenant --
-- Create a tenant with its counters and default workflow settings.
WITH t AS (
    INSERT INTO tenants (id, name, slug, timezone) VALUES (:tenant_id, :name, :slug, :timezone)
    RETURNING id, name, slug, timezone, created_at
), c AS (
    INSERT INTO tenant_counters (tenant_id) SELECT id FROM t
), w AS (
    INSERT INTO workflow_settings (tenant_id) SELECT id FROM t
)
SELECT id, name, slug, timezone, created_at FROM t;

-- get_tenant --
-- The current tenant.
SELECT id, name, slug, timezone, created_at FROM tenants WHERE id = :tenant_id;

-- tenant_id_by_slug --
-- Resolve a slug across tenants (a definer function: the only cross-tenant read).
SELECT app_tenant_id_by_slug(:slug);
