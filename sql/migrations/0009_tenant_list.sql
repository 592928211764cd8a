-- The tenants by slug, for operations that check every tenant in turn (`python -m server
-- verify`): each tenant's data is then read in a transaction scoped to it, under RLS.
CREATE FUNCTION app_tenant_slugs() RETURNS TABLE (id uuid, slug text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, slug FROM tenants ORDER BY slug $$;

REVOKE ALL ON FUNCTION app_tenant_slugs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_tenant_slugs() TO booking_app;
