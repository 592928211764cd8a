-- claim_idempotency_key --
-- Claim a key for this transaction; waits on a concurrent claim and returns nothing if taken.
INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash)
VALUES (:tenant_id, :user_id, :key, :request_hash)
ON CONFLICT DO NOTHING
RETURNING key;

-- get_idempotency_key --
-- The stored request fingerprint and response of a key within its lifetime.
SELECT request_hash, status, body FROM idempotency_keys
WHERE tenant_id = :tenant_id AND user_id = :user_id AND key = :key
  AND created_at > now() - interval '24 hours';

-- store_idempotent_response --
-- Record the response of the request that owns the key.
UPDATE idempotency_keys SET status = :status, body = :body
WHERE tenant_id = :tenant_id AND user_id = :user_id AND key = :key;

-- store_idempotent_error --
-- Record an error response in its own transaction after the work rolled back.
INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, status, body)
VALUES (:tenant_id, :user_id, :key, :request_hash, :status, :body)
ON CONFLICT DO NOTHING;

-- expire_idempotency_key --
-- Drop a key older than its lifetime so it can be claimed again.
DELETE FROM idempotency_keys
WHERE tenant_id = :tenant_id AND user_id = :user_id AND key = :key
  AND created_at <= now() - interval '24 hours';
