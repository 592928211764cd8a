-- Which booking statuses block a period, defined once (server/bookings/statuses.py
-- BLOCKING is the Python side; tests/server/bookings/test_statuses.py keeps them equal).
-- A booking pending, confirmed or completed holds its resource for its period; rejected,
-- expired and cancelled ones do not.
--
-- A one-expression IMMUTABLE SQL function, so the planner inlines it: a query saying
-- app_blocking(status) is planned as if it said status IN (...), and a partial index whose
-- predicate is that list (the exclusion constraint's) is still proved usable. The
-- constraint bookings_no_overlap keeps its literal list (rebuilding it would lock and
-- re-check every booking); the test checks its predicate names exactly these statuses.
CREATE FUNCTION app_blocking(p_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT p_status IN ('pending', 'confirmed', 'completed') $$;
GRANT EXECUTE ON FUNCTION app_blocking(text) TO booking_app;

-- The functions that spelled the list, re-created from their latest definitions (0011's
-- checks, 0005's budget sum, 0004's booked hours) with only the list replaced.

-- What blocks [p_start, p_end) on a resource, as JSON (NULL when nothing): as 0011's.
CREATE OR REPLACE FUNCTION app_resource_conflicts(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    wanted tstzrange := tstzrange(p_start, p_end, '[)');
BEGIN
    -- "Nothing blocks" from one plan of three probes; the list only when something does.
    IF p_tenant IS DISTINCT FROM app_current_tenant() OR NOT (
        EXISTS (
            SELECT 1 FROM bookings
            WHERE tenant_id = p_tenant AND resource_id = p_resource AND period && wanted
              AND app_blocking(status)
              AND (p_excluding IS NULL OR id <> p_excluding))
        OR EXISTS (
            SELECT 1 FROM holds
            WHERE tenant_id = p_tenant AND resource_id = p_resource AND period && wanted
              AND released_at IS NULL AND expires_at > clock_timestamp()
              AND (p_excluding IS NULL OR id <> p_excluding))
        OR EXISTS (
            SELECT 1 FROM time_off
            WHERE tenant_id = p_tenant AND resource_id = p_resource AND period && wanted))
    THEN
        RETURN NULL;
    END IF;
    RETURN (
        SELECT jsonb_agg(jsonb_build_object('id', c.id, 'number', c.number, 'start', c.s,
                                            'end', c.e, 'status', c.status)
                         ORDER BY c.rank, c.s, c.id)
        FROM (
            (SELECT 0 AS rank, * FROM (
                SELECT id, number, lower(period) AS s, upper(period) AS e, status
                FROM bookings
                WHERE tenant_id = p_tenant AND resource_id = p_resource
                  AND period && wanted AND app_blocking(status)
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

-- The series check: as 0011's.
CREATE OR REPLACE FUNCTION app_lock_resource_periods(
    p_tenant uuid, p_resource uuid, p_starts timestamptz[], p_ends timestamptz[]
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || '/' || p_resource::text, 0));
    IF p_tenant IS DISTINCT FROM app_current_tenant() THEN
        RETURN NULL;
    END IF;
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
                AND app_blocking(b.status)
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

-- Seconds of a project's blocking bookings (its budget use): as 0005's. VOLATILE for a
-- fresh snapshot after the project's row lock.
CREATE OR REPLACE FUNCTION app_project_booked_seconds(p_tenant uuid, p_project uuid)
    RETURNS numeric
    LANGUAGE sql VOLATILE
    AS $$
        SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0)
        FROM bookings
        WHERE tenant_id = p_tenant AND project_id = p_project
          AND app_blocking(status)
    $$;

-- The hours a project has booked: as 0004's (SECURITY INVOKER: the caller's row-level
-- security applies inside).
CREATE OR REPLACE FUNCTION project_booked_hours(p_tenant uuid, p_project uuid)
    RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0) / 3600
        FROM bookings
        WHERE tenant_id = p_tenant AND project_id = p_project
          AND app_blocking(status)
    $$;
