-- Accounts and hardening: durable access-token revocation, password reset tokens, the
-- series a booking belongs to, and audit partition maintenance that survives rows in
-- the default partition.

-- Access tokens issued before this time are refused (deactivation, role change, password
-- reset, a logout whose Redis write failed). Redis caches it; this is the truth.
ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;

-- The series a booking was made in (null for a booking made alone). The series table and
-- its foreign key come with recurring bookings.
ALTER TABLE bookings ADD COLUMN series_id uuid;

-- Single-use password reset tokens, stored as SHA-256 hashes, valid until expires_at.
CREATE TABLE password_reset_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT password_reset_tokens_hash_key UNIQUE (tenant_id, token_hash),
    CONSTRAINT password_reset_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (tenant_id, user_id);
ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON password_reset_tokens
    USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset_tokens TO booking_app;

-- Monthly partitions a few months ahead. A row that landed in the default partition (no
-- partition for its month yet) made CREATE ... PARTITION OF fail for that month, every
-- day from then on; such rows now move into the new partition before it is attached.
CREATE OR REPLACE FUNCTION app_ensure_audit_partitions(months_ahead integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    first date := date_trunc('month', now() - interval '1 month')::date;
    made integer := 0;
    m date;
    next_m date;
    part text;
BEGIN
    FOR i IN 0 .. months_ahead + 1 LOOP
        m := (first + make_interval(months => i))::date;
        next_m := (m + interval '1 month')::date;
        part := 'audit_log_' || to_char(m, 'YYYY_MM');
        IF to_regclass(part) IS NOT NULL THEN
            CONTINUE;
        END IF;
        IF EXISTS (SELECT 1 FROM audit_log_default WHERE at >= m AND at < next_m) THEN
            EXECUTE format('CREATE TABLE %I (LIKE audit_log INCLUDING DEFAULTS)', part);
            EXECUTE format(
                'WITH moved AS (DELETE FROM audit_log_default WHERE at >= %L AND at < %L'
                ' RETURNING *) INSERT INTO %I SELECT * FROM moved', m, next_m, part);
            EXECUTE format(
                'ALTER TABLE audit_log ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                part, m, next_m);
        ELSE
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                part, m, next_m);
        END IF;
        made := made + 1;
    END LOOP;
    RETURN made;
END $$;

-- Pruning in its own function per table, so one failing never stops the other.
CREATE FUNCTION app_prune_events(p_before timestamptz) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM events WHERE at < p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE FUNCTION app_prune_idempotency_keys(p_before timestamptz) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM idempotency_keys WHERE created_at < p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

REVOKE ALL ON FUNCTION app_prune_events(timestamptz), app_prune_idempotency_keys(timestamptz)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_prune_events(timestamptz), app_prune_idempotency_keys(timestamptz)
    TO booking_app;

DROP FUNCTION app_prune(timestamptz, timestamptz);
