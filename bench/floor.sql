-- `python -m bench floor`: the product's schema without the product (docs/performance.md,
-- "The floor of the schema"). Run by the bench's superuser on a freshly migrated database
-- of its own, never on a server's. :tenants and :clients are whole numbers the bench
-- formats in.

-- Tenants, each with its settings, counter and one user; one resource per pgbench client
-- (in tenant client % :tenants), as `python -m bench pgbench` books them.
INSERT INTO tenants (id, name, slug)
SELECT gen_random_uuid(), 'floor ' || g, 'floor-' || g FROM generate_series(0, :tenants - 1) g;
INSERT INTO tenant_counters (tenant_id) SELECT id FROM tenants WHERE slug LIKE 'floor-%';
INSERT INTO workflow_settings (tenant_id) SELECT id FROM tenants WHERE slug LIKE 'floor-%';
INSERT INTO users (tenant_id, id, email, name, role, password_hash)
SELECT id, gen_random_uuid(), slug || '@floor.invalid', 'floor', 'member', 'not a hash'
FROM tenants WHERE slug LIKE 'floor-%';
CREATE TABLE bench_pgbench_slots (
    client int PRIMARY KEY, tenant uuid, stamp text, resource uuid, requester uuid);
INSERT INTO bench_pgbench_slots (client, tenant, resource, requester)
SELECT c, t.id, gen_random_uuid(), u.id
FROM generate_series(0, :clients - 1) c
JOIN tenants t ON t.slug = 'floor-' || (c % :tenants)
JOIN users u ON u.tenant_id = t.id;
INSERT INTO resources (tenant_id, id, name, kind)
SELECT tenant, resource, 'floor ' || client, 'room' FROM bench_pgbench_slots;
-- The stamp of each slot's context, as a serve process keeps it after its first create.
UPDATE bench_pgbench_slots s
SET stamp = (SELECT c.stamp FROM app_booking_context(s.tenant, s.resource, NULL) c);
ANALYZE;

-- The yardstick's statement (shared/yardstick/cte.sql) on the product's tables: the counter,
-- the booking, its audit row and its event, in one statement as booking_app, with the
-- exclusion constraint as the only overlap check (ON CONFLICT DO NOTHING) and nothing read
-- first: no lock, no time off or holds, no budget, no context stamp. What the product's
-- create costs beyond this is its checks; what this costs beyond the yardstick is the schema.
-- The booking takes its number before it is inserted, so a refused one leaves a gap (the
-- product's create checks first): the bench books no overlaps.
CREATE FUNCTION bench_floor_create(
    p_role text, p_tenant uuid, p_resource uuid, p_requester uuid,
    p_start timestamptz, p_end timestamptz, p_after jsonb
) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    made bigint;
BEGIN
    made := CASE WHEN set_config('role', p_role, true) IS NOT NULL
                  AND set_config('app.tenant_id', p_tenant::text, true) IS NOT NULL
                 THEN 0 END;
    WITH n AS (
        UPDATE tenant_counters tc
        SET booking_number = tc.booking_number + 1, event_seq = tc.event_seq + 1
        WHERE tc.tenant_id = p_tenant
        RETURNING tc.booking_number, tc.event_seq
    ), b AS (
        INSERT INTO bookings (tenant_id, id, number, resource_id, requester_id, period, status)
        SELECT p_tenant, gen_random_uuid(), n.booking_number, p_resource, p_requester,
            tstzrange(p_start, p_end, '[)'), 'confirmed'
        FROM n
        ON CONFLICT DO NOTHING
        RETURNING id, number
    ), a AS (
        INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                               correlation_id, after)
        SELECT p_tenant, gen_random_uuid(), p_requester, 'booking.created', 'booking', b.id,
            'bench-floor', p_after
        FROM b
    ), e AS (
        INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
        SELECT p_tenant, n.event_seq, 'booking.created', p_requester, 'booking', b.id, p_after
        FROM b, n
    )
    SELECT b.number INTO made FROM b;
    RETURN made;
END
$$;
