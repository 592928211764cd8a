-- Scheduling beyond single bookings: recurring series, holds that expire, time off.
--
-- How the three block together. Bookings keep their exclusion constraint. Live holds
-- have one of their own (released holds drop out of it; an expired hold stays in it until
-- it is released, which a new hold over it does first, under the lock). Across the three
-- tables the guard is the resource's advisory lock of 0003: every writer of a resource's
-- bookings, holds or time off takes it, then checks the other tables in a fresh snapshot
-- (the VOLATILE functions below), so the check is exact and nobody can slip in between.

CREATE TABLE series (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    resource_id   uuid NOT NULL,
    requester_id  uuid NOT NULL,
    recurrence    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT series_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES resources (tenant_id, id),
    CONSTRAINT series_requester_fkey FOREIGN KEY (tenant_id, requester_id)
        REFERENCES users (tenant_id, id)
);

-- 0006 may have added the column already; the key to its series is added here.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS series_id uuid;
ALTER TABLE bookings ADD CONSTRAINT bookings_series_fkey FOREIGN KEY (tenant_id, series_id)
    REFERENCES series (tenant_id, id);
CREATE INDEX bookings_series_idx ON bookings (tenant_id, series_id, lower(period), id)
    WHERE series_id IS NOT NULL;

CREATE TABLE holds (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    resource_id     uuid NOT NULL,
    holder_id       uuid NOT NULL,
    period          tstzrange NOT NULL,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz,
    release_reason  text CHECK (release_reason IN ('confirmed', 'released', 'expired')),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT holds_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES resources (tenant_id, id),
    CONSTRAINT holds_holder_fkey FOREIGN KEY (tenant_id, holder_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT holds_period_check CHECK (
        lower(period) < upper(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period)),
    CONSTRAINT holds_released_check CHECK ((released_at IS NULL) = (release_reason IS NULL)),
    CONSTRAINT holds_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, resource_id WITH =, period WITH &&)
        WHERE (released_at IS NULL)
);
CREATE INDEX holds_live_idx ON holds (tenant_id, resource_id, lower(period), id)
    WHERE released_at IS NULL;
CREATE INDEX holds_tenant_live_idx ON holds (tenant_id, lower(period), id)
    WHERE released_at IS NULL;
CREATE INDEX holds_expiry_idx ON holds (expires_at) WHERE released_at IS NULL;

CREATE TABLE time_off (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    resource_id  uuid NOT NULL,
    period       tstzrange NOT NULL,
    reason       text CHECK (length(reason) <= 500),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT time_off_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES resources (tenant_id, id),
    CONSTRAINT time_off_creator_fkey FOREIGN KEY (tenant_id, created_by)
        REFERENCES users (tenant_id, id),
    CONSTRAINT time_off_period_check CHECK (
        lower(period) < upper(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period))
);
CREATE INDEX time_off_period_idx ON time_off USING gist (tenant_id, resource_id, period);
CREATE INDEX time_off_list_idx ON time_off (tenant_id, resource_id, lower(period), id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['series', 'holds', 'time_off'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant())'
            ' WITH CHECK (tenant_id = app_current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO booking_app', t);
    END LOOP;
END $$;

-- The sweeper finds expired holds across tenants through this definer function only.
CREATE POLICY system_access ON holds TO CURRENT_USER USING (true);

CREATE FUNCTION app_expired_holds(p_limit integer)
    RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT tenant_id, id FROM holds
        WHERE released_at IS NULL AND expires_at <= clock_timestamp()
        ORDER BY expires_at LIMIT p_limit
    $$;

-- What blocks [p_start, p_end) on a resource, as JSON (NULL when nothing): blocking bookings
-- and live holds (status "held", number null) but p_excluding, at most 20, by start; then
-- time off (status "time_off"), at most 20. A hold is live until its expires_at exactly,
-- whether or not it was released yet. Replaces 0003's version, so `app_lock_resource` and
-- every writer through it see holds and time off. VOLATILE: a fresh snapshot on every call.
CREATE OR REPLACE FUNCTION app_resource_conflicts(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    wanted tstzrange := tstzrange(p_start, p_end, '[)');
BEGIN
    RETURN (
        SELECT jsonb_agg(jsonb_build_object('id', c.id, 'number', c.number, 'start', c.s,
                                            'end', c.e, 'status', c.status)
                         ORDER BY c.rank, c.s, c.id)
        FROM (
            (SELECT 0 AS rank, * FROM (
                SELECT id, number, lower(period) AS s, upper(period) AS e, status
                FROM bookings
                WHERE tenant_id = p_tenant AND resource_id = p_resource
                  AND period && wanted AND status IN ('pending', 'confirmed', 'completed')
                  AND (p_excluding IS NULL OR id <> p_excluding)
                UNION ALL
                SELECT id, NULL, lower(period), upper(period), 'held'
                FROM holds
                WHERE tenant_id = p_tenant AND resource_id = p_resource
                  AND period && wanted AND released_at IS NULL
                  AND expires_at > clock_timestamp()
                  AND (p_excluding IS NULL OR id <> p_excluding)
                ORDER BY 3, 1 LIMIT 20) blocking)
            UNION ALL
            (SELECT 1, id, NULL, lower(period), upper(period), 'time_off'
             FROM time_off
             WHERE tenant_id = p_tenant AND resource_id = p_resource AND period && wanted
             ORDER BY lower(period), id LIMIT 20)
        ) c
    );
END
$$;

-- The resource's advisory lock, then everything that blocks any of the periods
-- [p_starts[i], p_ends[i]) (a series' occurrences), each entry with its occurrence_start:
-- every clash, unbounded, by occurrence then start. NULL when nothing blocks.
CREATE FUNCTION app_lock_resource_periods(
    p_tenant uuid, p_resource uuid, p_starts timestamptz[], p_ends timestamptz[]
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || '/' || p_resource::text, 0));
    RETURN (
        SELECT jsonb_agg(jsonb_build_object('id', c.id, 'number', c.number, 'start', c.s,
                                            'end', c.e, 'status', c.status,
                                            'occurrence_start', c.o)
                         ORDER BY c.o, c.s, c.id)
        FROM (
            SELECT o.s AS o, b.id, b.number, lower(b.period) AS s, upper(b.period) AS e,
                b.status
            FROM unnest(p_starts, p_ends) AS o(s, e)
            JOIN bookings b ON b.tenant_id = p_tenant AND b.resource_id = p_resource
                AND b.period && tstzrange(o.s, o.e, '[)')
                AND b.status IN ('pending', 'confirmed', 'completed')
            UNION ALL
            SELECT o.s, h.id, NULL, lower(h.period), upper(h.period), 'held'
            FROM unnest(p_starts, p_ends) AS o(s, e)
            JOIN holds h ON h.tenant_id = p_tenant AND h.resource_id = p_resource
                AND h.period && tstzrange(o.s, o.e, '[)')
                AND h.released_at IS NULL AND h.expires_at > clock_timestamp()
            UNION ALL
            SELECT o.s, t.id, NULL, lower(t.period), upper(t.period), 'time_off'
            FROM unnest(p_starts, p_ends) AS o(s, e)
            JOIN time_off t ON t.tenant_id = p_tenant AND t.resource_id = p_resource
                AND t.period && tstzrange(o.s, o.e, '[)')
        ) c
    );
END
$$;

REVOKE ALL ON FUNCTION app_expired_holds(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_expired_holds(integer),
    app_lock_resource_periods(uuid, uuid, timestamptz[], timestamptz[]) TO booking_app;
