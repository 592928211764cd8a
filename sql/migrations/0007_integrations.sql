-- Integrations: webhooks and their delivery log, the mail cursor over events,
-- per-user notification preferences, HTML and iCalendar parts of outbox messages,
-- and calendar feeds with secret urls.
-- The events table is the outbox: a webhook keeps a cursor (the last seq acknowledged,
-- given up or skipped), so a booking's write transaction does no extra work for them.

CREATE TABLE webhooks (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    events      text[] NOT NULL CHECK (cardinality(events) >= 1),
    secret      text NOT NULL,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    cursor_seq  bigint NOT NULL,
    retry_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhooks_list_idx ON webhooks (tenant_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    webhook_id        uuid NOT NULL,
    event_seq         bigint NOT NULL,
    event_type        text NOT NULL,
    state             text NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    last_status       integer,
    last_error        text,
    response_excerpt  text CHECK (length(response_excerpt) <= 1024),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_attempt_at   timestamptz,
    next_attempt_at   timestamptz,
    delivered_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_deliveries_event_key UNIQUE (tenant_id, webhook_id, event_seq),
    CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (tenant_id, webhook_id)
        REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- The last event seq the mail dispatcher turned into messages, per tenant (none: 0).
CREATE TABLE mail_cursors (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL
);
-- Events committed before this migration were never meant to send mail.
INSERT INTO mail_cursors (tenant_id, seq) SELECT tenant_id, event_seq FROM tenant_counters;

CREATE TABLE notification_preferences (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    email       jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT notification_preferences_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE notifications
    ADD COLUMN html text,
    ADD COLUMN ics text,
    ADD COLUMN ics_method text CHECK (ics_method IN ('REQUEST', 'CANCEL'));

CREATE TABLE calendar_feeds (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    user_id      uuid NOT NULL,
    resource_id  uuid,
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT calendar_feeds_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT calendar_feeds_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES resources (tenant_id, id)
);
CREATE INDEX calendar_feeds_user_idx ON calendar_feeds (tenant_id, user_id, created_at, id)
    WHERE deleted_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'webhooks', 'webhook_deliveries', 'mail_cursors', 'notification_preferences',
        'calendar_feeds'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant())'
            ' WITH CHECK (tenant_id = app_current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO booking_app', t);
    END LOOP;
END $$;

CREATE POLICY system_access ON webhooks TO CURRENT_USER USING (true);
CREATE POLICY system_access ON webhook_deliveries TO CURRENT_USER USING (true);
CREATE POLICY system_access ON mail_cursors TO CURRENT_USER USING (true);

-- Active webhooks with events past their cursor and no retry pending later, oldest first.
CREATE FUNCTION app_webhook_backlog(p_limit integer)
    RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT w.tenant_id, w.id FROM webhooks w
        JOIN tenant_counters c ON c.tenant_id = w.tenant_id
        WHERE w.deleted_at IS NULL AND w.cursor_seq < c.event_seq
          AND (w.retry_at IS NULL OR w.retry_at <= now())
        ORDER BY w.retry_at NULLS FIRST, w.created_at LIMIT p_limit
    $$;

-- Tenants with events the mail dispatcher has not looked at yet.
CREATE FUNCTION app_mail_backlog(p_limit integer)
    RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT c.tenant_id FROM tenant_counters c
        LEFT JOIN mail_cursors m ON m.tenant_id = c.tenant_id
        WHERE c.event_seq > coalesce(m.seq, 0)
        LIMIT p_limit
    $$;

-- Old events, idempotency keys, and finished webhook deliveries past the retention.
CREATE OR REPLACE FUNCTION app_prune(p_events_before timestamptz, p_keys_before timestamptz)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    n integer;
    k integer;
    d integer;
BEGIN
    DELETE FROM events WHERE at < p_events_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM idempotency_keys WHERE created_at < p_keys_before;
    GET DIAGNOSTICS k = ROW_COUNT;
    DELETE FROM webhook_deliveries WHERE created_at < p_events_before AND state <> 'pending';
    GET DIAGNOSTICS d = ROW_COUNT;
    RETURN n + k + d;
END $$;

REVOKE ALL ON FUNCTION app_webhook_backlog(integer), app_mail_backlog(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_webhook_backlog(integer), app_mail_backlog(integer)
    TO booking_app;
