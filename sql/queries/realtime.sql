-- event_heads --
-- Every tenant's latest event seq, through the definer function (no tenant scope needed).
SELECT tenant_id, seq FROM app_event_heads();

-- relay_cursors --
-- Per tenant, the last seq the relay leader emitted (definer function, no tenant scope).
SELECT tenant_id, seq FROM app_relay_cursors();

-- save_relay_cursors --
-- Move the relay's per-tenant cursors forward; never back.
SELECT app_relay_save(:tenant_ids::uuid[], :seqs::bigint[]);

-- events_after --
-- Events of several tenants, each after its own seq, at most :limit per tenant, by tenant and seq (definer function).
SELECT tenant_id, seq, type, at, actor_id, data
FROM app_events_after(:tenant_ids::uuid[], :seqs::bigint[], :limit);

-- socket_users --
-- The current role of the given users of the current tenant, whether each is active, and
-- when their access tokens start being accepted (epoch seconds, 0 when never ended).
SELECT id, role, deactivated_at IS NULL AS active,
    coalesce(extract(epoch FROM tokens_valid_after), 0)::float8 AS valid_after
FROM users
WHERE tenant_id = :tenant_id AND id = any(:user_ids::uuid[]);
