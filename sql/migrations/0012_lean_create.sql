-- The write path, leaner (docs/performance.md, "The write path"):
--   1. The overlap checks read through definer functions. Under row-level security a
--      query's own conditions may only be index conditions when their operators are
--      leakproof, and the range operators (&&, lower, upper) are not: run as booking_app,
--      the check found the resource's rows by (tenant, resource) and filtered every one of
--      them by period, so a create cost grew with the resource's history (5,000 bookings:
--      1–3 ms per check, twice per create). As the owner the whole condition is the index
--      condition of the exclusion constraint's index. The functions filter by the caller's
--      tenant themselves (app_current_tenant(), what the policy reads), so they return
--      nothing a policy would have hidden.
--   2. The check answers "nothing blocks" from one plan of three EXISTS probes, and builds
--      the conflict list only when something does.
--   3. app_json_time is STABLE, so it is inlined (as IMMUTABLE over a STABLE to_char it
--      was parsed and planned again on each of its calls).
--   5. app_lock_resource tries the lock first and checks once when it is free.
--   4. app_create_booking writes the counter, the booking, the audit row and the event in
--      one statement (was four, each with its executor start and end).

-- The owner reads bookings and time off through the definer functions below (holds has
-- this policy since 0010). A superuser owner bypasses RLS anyway.
CREATE POLICY system_access ON bookings TO CURRENT_USER USING (true);
CREATE POLICY system_access ON time_off TO CURRENT_USER USING (true);

-- What blocks [p_start, p_end) on a resource, as JSON (NULL when nothing): as 0010's
-- version (blocking bookings and live holds, at most 20, by start; then time off, at most
-- 20), now through the index and without building anything when nothing blocks.
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

-- The series check (0010), through the index likewise; the lock is still taken first.
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

-- 0005's JSON time, STABLE as what it calls is (to_char): an IMMUTABLE SQL function with a
-- STABLE body is never inlined, so every call was parsed and planned again.
CREATE OR REPLACE FUNCTION app_json_time(p_at timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN extract(microseconds FROM p_at)::bigint % 1000000 = 0 THEN ''
                    ELSE to_char(p_at AT TIME ZONE 'UTC', '.US') END
            || 'Z'
    $$;

-- 0003's lock and check, asking for the lock without waiting first: when it is free (no
-- other writer of the resource), one check after it is exact and the check before it is
-- saved. When it is taken, as before: a conflict already committed answers at once, else
-- wait for the lock and check again.
CREATE OR REPLACE FUNCTION app_lock_resource(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    key bigint := hashtextextended(p_tenant::text || '/' || p_resource::text, 0);
    found jsonb;
    checkable boolean := p_start IS NOT NULL AND p_end IS NOT NULL AND p_end > p_start;
BEGIN
    IF pg_try_advisory_xact_lock(key) THEN
        IF checkable THEN
            RETURN app_resource_conflicts(p_tenant, p_resource, p_start, p_end, p_excluding);
        END IF;
        RETURN NULL;
    END IF;
    IF checkable THEN
        found := app_resource_conflicts(p_tenant, p_resource, p_start, p_end, p_excluding);
        IF found IS NOT NULL THEN
            RETURN found;
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock(key);
    IF NOT checkable THEN
        RETURN NULL;
    END IF;
    RETURN app_resource_conflicts(p_tenant, p_resource, p_start, p_end, p_excluding);
END
$$;

-- 0005's create with the same parameters, outcomes and columns. Differences: the lock is
-- asked for only when the pre-check found nothing (unchanged in effect: app_lock_resource
-- did the same), and the counter, booking, audit row and event are one statement.
CREATE OR REPLACE FUNCTION app_create_booking(
    p_role text, p_tenant uuid, p_stamp text, p_id uuid, p_resource uuid, p_project uuid,
    p_requester uuid, p_title text, p_note text, p_start timestamptz, p_end timestamptz,
    p_status text, p_audit_id uuid, p_correlation text, p_after jsonb, p_diff jsonb
)
    RETURNS TABLE (
        outcome text, conflicts jsonb, booked_seconds numeric,
        resource_id uuid, timezone text, working_hours jsonb,
        resource_deactivated_at timestamptz, project_id uuid, budget_hours numeric,
        project_deactivated_at timestamptz, approval_required boolean,
        max_booking_days integer, escalate_after interval, expire_after interval,
        remind_before interval, auto_complete boolean, stamp text,
        id uuid, number bigint, requester_id uuid, title text, note text,
        start timestamptz, "end" timestamptz, status text, version integer,
        created_at timestamptz, updated_at timestamptz, escalated_at timestamptz
    )
    LANGUAGE plpgsql VOLATILE
    AS $$
#variable_conflict use_column
DECLARE
    ctx record;
    found jsonb;
    used numeric;
    budget numeric;
    b record;
BEGIN
    -- One expression, evaluated without the executor (PL/pgSQL's simple-expression path).
    found := CASE WHEN set_config('role', p_role, true) IS NOT NULL
                   AND set_config('app.tenant_id', p_tenant::text, true) IS NOT NULL
                  THEN app_lock_resource(p_tenant, p_resource, p_start, p_end, NULL) END;
    SELECT * INTO ctx FROM app_booking_context(p_tenant, p_resource, p_project);
    outcome := NULL;
    IF ctx.stamp IS DISTINCT FROM p_stamp OR p_stamp IS NULL THEN
        outcome := 'stale';
    ELSIF p_project IS NOT NULL AND ctx.budget_hours IS NOT NULL THEN
        -- The budget wins over a conflict; the row lock makes budget checks take turns.
        SELECT pr.budget_hours INTO budget FROM projects pr
        WHERE pr.tenant_id = p_tenant AND pr.id = p_project FOR UPDATE;
        used := app_project_booked_seconds(p_tenant, p_project);
        IF budget IS NOT NULL
           AND used + extract(epoch FROM p_end - p_start) > budget * 3600 THEN
            outcome := 'budget';
        ELSIF found IS NOT NULL THEN
            outcome := 'conflict';
        END IF;
    ELSIF found IS NOT NULL THEN
        outcome := 'conflict';
    END IF;
    IF outcome IS NOT NULL THEN
        RETURN QUERY SELECT outcome, found, used, ctx.resource_id, ctx.timezone,
            ctx.working_hours, ctx.resource_deactivated_at, ctx.project_id,
            coalesce(budget, ctx.budget_hours), ctx.project_deactivated_at,
            ctx.approval_required, ctx.max_booking_days, ctx.escalate_after,
            ctx.expire_after, ctx.remind_before, ctx.auto_complete, ctx.stamp,
            NULL::uuid, NULL::bigint, NULL::uuid, NULL::text, NULL::text,
            NULL::timestamptz, NULL::timestamptz, NULL::text, NULL::integer,
            NULL::timestamptz, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;
    -- The counter row is locked from here to commit only.
    WITH n AS (
        UPDATE tenant_counters tc
        SET booking_number = tc.booking_number + 1, event_seq = tc.event_seq + 1
        WHERE tc.tenant_id = p_tenant
        RETURNING tc.booking_number, tc.event_seq
    ), ins AS (
        INSERT INTO bookings AS bk (tenant_id, id, number, resource_id, project_id,
                                    requester_id, title, note, period, status)
        SELECT p_tenant, p_id, n.booking_number, p_resource, p_project, p_requester, p_title,
            p_note, tstzrange(p_start, p_end, '[)'), p_status
        FROM n
        RETURNING bk.id, bk.number, bk.requester_id, bk.title, bk.note,
            lower(bk.period) AS s, upper(bk.period) AS e, bk.status, bk.version,
            bk.created_at, bk.updated_at, bk.escalated_at
    ), j AS (
        SELECT ins.*, n.event_seq, to_jsonb(app_json_time(ins.created_at)) AS at_text,
            p_after || jsonb_build_object(
                'number', ins.number, 'created_at', to_jsonb(app_json_time(ins.created_at)),
                'updated_at', to_jsonb(app_json_time(ins.updated_at))) AS after
        FROM ins, n
    ), audit AS (
        INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                               correlation_id, before, after, diff)
        SELECT p_tenant, p_audit_id, p_requester, 'booking.created', 'booking', p_id,
            p_correlation, NULL, j.after,
            p_diff || jsonb_build_object('number', jsonb_build_array(NULL, j.number),
                                         'created_at', jsonb_build_array(NULL, j.at_text))
        FROM j
    ), event AS (
        INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
        SELECT p_tenant, j.event_seq, 'booking.created', p_requester, 'booking', p_id, j.after
        FROM j
    )
    SELECT j.id, j.number, j.requester_id, j.title, j.note, j.s, j.e, j.status, j.version,
        j.created_at, j.updated_at, j.escalated_at
    INTO b FROM j;
    RETURN QUERY SELECT 'created'::text, NULL::jsonb, NULL::numeric, ctx.resource_id,
        ctx.timezone, ctx.working_hours, ctx.resource_deactivated_at, ctx.project_id,
        ctx.budget_hours, ctx.project_deactivated_at, ctx.approval_required,
        ctx.max_booking_days, ctx.escalate_after, ctx.expire_after, ctx.remind_before,
        ctx.auto_complete, ctx.stamp, b.id, b.number, b.requester_id, b.title, b.note,
        b.s, b.e, b.status, b.version, b.created_at, b.updated_at, b.escalated_at;
END
$$;
