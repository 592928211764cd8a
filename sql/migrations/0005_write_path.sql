-- The write path (docs/bookings.md, "The create statement"; docs/performance.md):
--   1. app_booking_context: what the booking rules read about a resource, a project and
--      the tenant's workflow settings, with a stamp of it, so a process can keep it and
--      the write can tell when it changed;
--   2. app_create_booking: a whole booking create in one statement (role and tenant,
--      resource lock, overlap pre-check, budget, number and seq, INSERT, audit, event);
--   3. relay_cursors: the last seq the realtime relay emitted per tenant, so a new leader
--      resumes where the last one stopped instead of at the current heads.
-- No NOTIFY anywhere: the writing process wakes the relay after commit (realtime/wake.py).

-- An instant as the API's JSON renders it (msgspec: UTC, "Z", microseconds when not 0).
CREATE FUNCTION app_json_time(p_at timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN extract(microseconds FROM p_at)::bigint % 1000000 = 0 THEN ''
                    ELSE to_char(p_at AT TIME ZONE 'UTC', '.US') END
            || 'Z'
    $$;

-- Resource, project and workflow settings as the booking rules read them; `stamp` changes
-- whenever any of them does. One row per tenant with settings; NULL resource/project
-- columns when they do not exist in the tenant. Runs as the caller: RLS applies.
CREATE FUNCTION app_booking_context(p_tenant uuid, p_resource uuid, p_project uuid)
    RETURNS TABLE (
        resource_id uuid, timezone text, working_hours jsonb,
        resource_deactivated_at timestamptz, project_id uuid, budget_hours numeric,
        project_deactivated_at timestamptz, approval_required boolean,
        max_booking_days integer, escalate_after interval, expire_after interval,
        remind_before interval, auto_complete boolean, stamp text
    )
    LANGUAGE sql STABLE
    AS $$
        SELECT r.id, r.timezone, r.working_hours, r.deactivated_at,
            p.id, p.budget_hours, p.deactivated_at,
            s.approval_required, s.max_booking_days, s.escalate_after, s.expire_after,
            s.remind_before, s.auto_complete,
            md5(row(r.id, r.timezone, r.working_hours, r.deactivated_at, p.id, p.budget_hours,
                    p.deactivated_at, s.approval_required, s.max_booking_days,
                    s.escalate_after, s.expire_after, s.remind_before, s.auto_complete)::text)
        FROM workflow_settings s
        LEFT JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = p_resource
        LEFT JOIN projects p ON p.tenant_id = s.tenant_id AND p.id = p_project
        WHERE s.tenant_id = p_tenant
    $$;

-- One booking create, the whole transaction when called alone (autocommit). In order:
--   role and tenant (set_config, local); the resource's advisory lock with the overlap
--   pre-check (app_lock_resource: a conflict already committed answers at once, without
--   the lock); the context, compared with p_stamp, the stamp of the context the caller
--   judged the rules on (period length, status, working hours, active resource/project);
--   the project row (FOR UPDATE) and its budget when it has one; the tenant's counter
--   row (next number and seq), the INSERT (the exclusion constraint stays the guard), the
--   audit row, the event row. Lock order: resource, project, counter row; the counter row
--   is held from here to commit only.
-- outcome: 'created' (booking columns set), 'stale' (context changed or p_stamp is NULL:
-- judge again with the context columns and call again), 'conflict' (conflicts set;
-- booked_seconds too when the project has a budget, which wins over a conflict), 'budget'
-- (booked_seconds and budget_hours set). p_after/p_diff: the booking and its creation diff
-- as JSON but for number, created_at and updated_at, which are filled in here.
CREATE FUNCTION app_create_booking(
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
    n_number bigint;
    n_seq bigint;
    b record;
    at_text jsonb;
    after jsonb;
BEGIN
    PERFORM set_config('role', p_role, true), set_config('app.tenant_id', p_tenant::text, true);
    found := app_lock_resource(p_tenant, p_resource, p_start, p_end, NULL);
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
    UPDATE tenant_counters tc
    SET booking_number = tc.booking_number + 1, event_seq = tc.event_seq + 1
    WHERE tc.tenant_id = p_tenant
    RETURNING tc.booking_number, tc.event_seq INTO n_number, n_seq;
    INSERT INTO bookings AS bk (tenant_id, id, number, resource_id, project_id, requester_id,
                                title, note, period, status)
    VALUES (p_tenant, p_id, n_number, p_resource, p_project, p_requester, p_title, p_note,
            tstzrange(p_start, p_end, '[)'), p_status)
    RETURNING bk.id, bk.number, bk.requester_id, bk.title, bk.note, lower(bk.period) AS s,
        upper(bk.period) AS e, bk.status, bk.version, bk.created_at, bk.updated_at,
        bk.escalated_at INTO b;
    at_text := to_jsonb(app_json_time(b.created_at));
    after := p_after || jsonb_build_object('number', n_number, 'created_at', at_text,
                                           'updated_at', to_jsonb(app_json_time(b.updated_at)));
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    VALUES (p_tenant, p_audit_id, p_requester, 'booking.created', 'booking', p_id,
            p_correlation, NULL, after,
            p_diff || jsonb_build_object('number', jsonb_build_array(NULL, n_number),
                                         'created_at', jsonb_build_array(NULL, at_text)));
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    VALUES (p_tenant, n_seq, 'booking.created', p_requester, 'booking', p_id, after);
    RETURN QUERY SELECT 'created'::text, NULL::jsonb, NULL::numeric, ctx.resource_id,
        ctx.timezone, ctx.working_hours, ctx.resource_deactivated_at, ctx.project_id,
        ctx.budget_hours, ctx.project_deactivated_at, ctx.approval_required,
        ctx.max_booking_days, ctx.escalate_after, ctx.expire_after, ctx.remind_before,
        ctx.auto_complete, ctx.stamp, b.id, b.number, b.requester_id, b.title, b.note,
        b.s, b.e, b.status, b.version, b.created_at, b.updated_at, b.escalated_at;
END
$$;

-- Seconds of a project's blocking bookings (its budget use). VOLATILE for a fresh
-- snapshot after the project's row lock.
CREATE FUNCTION app_project_booked_seconds(p_tenant uuid, p_project uuid) RETURNS numeric
    LANGUAGE sql VOLATILE
    AS $$
        SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0)
        FROM bookings
        WHERE tenant_id = p_tenant AND project_id = p_project
          AND status IN ('pending', 'confirmed', 'completed')
    $$;

GRANT EXECUTE ON FUNCTION app_json_time(timestamptz),
    app_booking_context(uuid, uuid, uuid),
    app_project_booked_seconds(uuid, uuid),
    app_create_booking(text, uuid, text, uuid, uuid, uuid, uuid, text, text, timestamptz,
                       timestamptz, text, uuid, text, jsonb, jsonb) TO booking_app;

-- The relay's progress: per tenant, the last seq the leader emitted. Written and read
-- only by the relay, through the definer functions below; not a tenant table.
CREATE TABLE relay_cursors (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL
);
-- Guarded like every tenant table; the app role gets no grant, the definer functions
-- read and write it through the owner's policy.
ALTER TABLE relay_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE relay_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON relay_cursors
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_access ON relay_cursors TO CURRENT_USER USING (true);
-- Existing tenants start at their current head: nothing before this migration is replayed.
INSERT INTO relay_cursors (tenant_id, seq)
SELECT tenant_id, event_seq FROM tenant_counters WHERE event_seq > 0;

CREATE FUNCTION app_relay_cursors() RETURNS TABLE (tenant_id uuid, seq bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id, seq FROM relay_cursors $$;

-- Move cursors forward (never back: a leader that lost its lock cannot rewind the next).
CREATE FUNCTION app_relay_save(p_tenants uuid[], p_seqs bigint[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$
        INSERT INTO relay_cursors AS c (tenant_id, seq)
        SELECT t, s FROM unnest(p_tenants, p_seqs) AS u (t, s)
        ORDER BY t
        ON CONFLICT (tenant_id) DO UPDATE SET seq = greatest(c.seq, excluded.seq)
    $$;

-- The relay's one read per wake-up: the events of several tenants after a seq each, at
-- most p_limit per tenant, by tenant and seq.
CREATE FUNCTION app_events_after(p_tenants uuid[], p_since bigint[], p_limit integer)
    RETURNS TABLE (tenant_id uuid, seq bigint, type text, at timestamptz, actor_id uuid,
                   data jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT e.tenant_id, e.seq, e.type, e.at, e.actor_id, e.data
        FROM unnest(p_tenants, p_since) AS w (t, s)
        CROSS JOIN LATERAL (
            SELECT * FROM events ev WHERE ev.tenant_id = w.t AND ev.seq > w.s
            ORDER BY ev.seq LIMIT p_limit
        ) e
        ORDER BY e.tenant_id, e.seq
    $$;

REVOKE ALL ON FUNCTION app_relay_cursors(), app_relay_save(uuid[], bigint[]),
    app_events_after(uuid[], bigint[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_relay_cursors(), app_relay_save(uuid[], bigint[]),
    app_events_after(uuid[], bigint[], integer) TO booking_app;
