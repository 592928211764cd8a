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

-- The functions that spelled the list, re-created from their latest definitions (0005's
-- budget sum, 0004's booked hours) with only the list replaced; the overlap checks use it
-- from 0012 on.

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
