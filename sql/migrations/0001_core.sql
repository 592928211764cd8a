-- Core schema: tenants, users, resources, projects, bookings, events, audit, tokens,
-- idempotency keys, workflow settings and timers, notification outbox.
-- Every tenant table leads its keys with tenant_id and is guarded by row-level security.
-- The runner creates the extensions and the application role `booking_app` first.

CREATE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL CONSTRAINT tenants_slug_key UNIQUE,
    timezone    text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_counters (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    booking_number  bigint NOT NULL DEFAULT 0,
    event_seq       bigint NOT NULL DEFAULT 0
);

CREATE TABLE users (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL,
    email                text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role                 text NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    password_hash        text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deactivated_at       timestamptz,
    deactivated_by       uuid,
    deactivation_reason  text,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, lower(email));
CREATE INDEX users_list_idx ON users (tenant_id, created_at, id);

CREATE TABLE resources (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                 text NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    timezone             text NOT NULL DEFAULT 'UTC',
    skills               text[] NOT NULL DEFAULT '{}',
    working_hours        jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deactivated_at       timestamptz,
    deactivated_by       uuid,
    deactivation_reason  text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resources_list_idx ON resources (tenant_id, name, id);
CREATE INDEX resources_kind_idx ON resources (tenant_id, kind, name, id);
CREATE INDEX resources_skills_idx ON resources USING gin (tenant_id, skills);

CREATE TABLE projects (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code                 text CHECK (length(code) BETWEEN 1 AND 40),
    budget_hours         numeric(12, 2) CHECK (budget_hours >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deactivated_at       timestamptz,
    deactivated_by       uuid,
    deactivation_reason  text,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT projects_code_key UNIQUE (tenant_id, code)
);
CREATE INDEX projects_list_idx ON projects (tenant_id, name, id);

CREATE TABLE bookings (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    number        bigint NOT NULL,
    resource_id   uuid NOT NULL,
    project_id    uuid,
    requester_id  uuid NOT NULL,
    title         text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    period        tstzrange NOT NULL,
    status        text NOT NULL CHECK (
                      status IN ('pending', 'confirmed', 'completed', 'rejected', 'expired',
                                 'cancelled')),
    version       integer NOT NULL DEFAULT 1,
    status_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    escalated_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT bookings_number_key UNIQUE (tenant_id, number),
    CONSTRAINT bookings_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES resources (tenant_id, id),
    CONSTRAINT bookings_project_fkey FOREIGN KEY (tenant_id, project_id)
        REFERENCES projects (tenant_id, id),
    CONSTRAINT bookings_requester_fkey FOREIGN KEY (tenant_id, requester_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT bookings_period_check CHECK (
        lower(period) < upper(period) AND lower_inc(period) AND NOT upper_inc(period)
        AND NOT lower_inf(period) AND NOT upper_inf(period)),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, resource_id WITH =, period WITH &&)
        WHERE (status IN ('pending', 'confirmed', 'completed'))
);
CREATE INDEX bookings_start_idx ON bookings (tenant_id, lower(period), id);
CREATE INDEX bookings_period_idx ON bookings USING gist (tenant_id, period);
CREATE INDEX bookings_project_idx ON bookings (tenant_id, project_id, lower(period), id)
    WHERE project_id IS NOT NULL;
CREATE INDEX bookings_requester_idx ON bookings (tenant_id, requester_id, lower(period), id);
CREATE INDEX bookings_status_idx ON bookings (tenant_id, status, lower(period), id);
CREATE INDEX bookings_resource_idx ON bookings (tenant_id, resource_id, lower(period), id);

CREATE TABLE events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    type         text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    data         jsonb NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX events_at_idx ON events (tenant_id, at);

CREATE TABLE audit_log (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_id        uuid,
    action          text NOT NULL,
    entity_type     text NOT NULL,
    entity_id       uuid NOT NULL,
    correlation_id  text NOT NULL,
    before          jsonb,
    after           jsonb,
    diff            jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, at, id)
) PARTITION BY RANGE (at);
CREATE INDEX audit_entity_idx ON audit_log (tenant_id, entity_type, entity_id, at);
CREATE INDEX audit_actor_idx ON audit_log (tenant_id, actor_id, at);
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

-- Monthly partitions; the worker's maintenance cron keeps a few months ahead.
CREATE FUNCTION app_ensure_audit_partitions(months_ahead integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    first date := date_trunc('month', now() - interval '1 month')::date;
    made integer := 0;
    m date;
    part text;
BEGIN
    FOR i IN 0 .. months_ahead + 1 LOOP
        m := (first + make_interval(months => i))::date;
        part := 'audit_log_' || to_char(m, 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                part, m, (m + interval '1 month')::date);
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
SELECT app_ensure_audit_partitions(3);

CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE refresh_tokens (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    user_id      uuid NOT NULL,
    family_id    uuid NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT refresh_tokens_hash_key UNIQUE (tenant_id, token_hash),
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id);

CREATE TABLE workflow_settings (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    approval_required  boolean NOT NULL DEFAULT false,
    escalate_after     interval,
    expire_after       interval,
    remind_before      interval,
    auto_complete      boolean NOT NULL DEFAULT false,
    max_booking_days   integer NOT NULL DEFAULT 31 CHECK (max_booking_days > 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflow_timers (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    booking_id       uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('escalate', 'expire', 'remind', 'complete')),
    due_at           timestamptz NOT NULL,
    booking_version  integer NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'done', 'cancelled')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    fired_at         timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT workflow_timers_booking_fkey FOREIGN KEY (tenant_id, booking_id)
        REFERENCES bookings (tenant_id, id)
);
CREATE UNIQUE INDEX workflow_timers_pending_key ON workflow_timers (tenant_id, booking_id, kind)
    WHERE state = 'pending';
CREATE INDEX workflow_timers_due_idx ON workflow_timers (due_at) WHERE state = 'pending';

CREATE TABLE notifications (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    user_id          uuid,
    kind             text NOT NULL,
    to_address       text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state = 'pending';

-- Row-level security: every tenant table, forced, one policy on the transaction's tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenant_counters', 'users', 'resources', 'projects', 'bookings', 'events',
        'audit_log', 'idempotency_keys', 'refresh_tokens', 'workflow_settings',
        'workflow_timers', 'notifications'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant())'
            ' WITH CHECK (tenant_id = app_current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO booking_app', t);
    END LOOP;
END $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = app_current_tenant()) WITH CHECK (id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE ON tenants TO booking_app;

-- Cross-tenant system reads go through these definer functions only; the owner keeps
-- a policy on the few tables they touch, and the app role gets nothing more.
CREATE POLICY system_access ON tenants TO CURRENT_USER USING (true);
CREATE POLICY system_access ON tenant_counters TO CURRENT_USER USING (true);
CREATE POLICY system_access ON events TO CURRENT_USER USING (true);
CREATE POLICY system_access ON workflow_timers TO CURRENT_USER USING (true);
CREATE POLICY system_access ON notifications TO CURRENT_USER USING (true);
CREATE POLICY system_access ON idempotency_keys TO CURRENT_USER USING (true);

CREATE FUNCTION app_tenant_id_by_slug(p_slug text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM tenants WHERE slug = p_slug $$;

CREATE FUNCTION app_event_heads() RETURNS TABLE (tenant_id uuid, seq bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id, event_seq FROM tenant_counters WHERE event_seq > 0 $$;

CREATE FUNCTION app_due_timers(p_limit integer)
    RETURNS TABLE (tenant_id uuid, id uuid, booking_id uuid, kind text, booking_version integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT tenant_id, id, booking_id, kind, booking_version FROM workflow_timers
        WHERE state = 'pending' AND due_at <= now() ORDER BY due_at LIMIT p_limit
    $$;

CREATE FUNCTION app_due_notifications(p_limit integer)
    RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT tenant_id, id FROM notifications
        WHERE state = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT p_limit
    $$;

CREATE FUNCTION app_prune(p_events_before timestamptz, p_keys_before timestamptz)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    n integer;
    k integer;
BEGIN
    DELETE FROM events WHERE at < p_events_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM idempotency_keys WHERE created_at < p_keys_before;
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + k;
END $$;

REVOKE ALL ON FUNCTION app_tenant_id_by_slug(text), app_event_heads(),
    app_due_timers(integer), app_due_notifications(integer),
    app_prune(timestamptz, timestamptz), app_ensure_audit_partitions(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_tenant_id_by_slug(text), app_event_heads(),
    app_due_timers(integer), app_due_notifications(integer),
    app_prune(timestamptz, timestamptz), app_ensure_audit_partitions(integer)
    TO booking_app;
GRANT EXECUTE ON FUNCTION app_current_tenant() TO booking_app;
