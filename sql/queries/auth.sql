-- insert_refresh_token --
-- Store a new refresh token (hashed) in a login family.
INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6));

-- use_refresh_token --
-- Spend a live refresh token: atomically mark it used, so only one caller wins.
UPDATE refresh_tokens SET used_at = now()
WHERE tenant_id = $1 AND token_hash = $2
  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING user_id, family_id;

-- get_refresh_token --
-- A refresh token's state, and whether it was used within the last $3 seconds.
SELECT user_id, family_id, used_at, revoked_at, expires_at <= now() AS expired,
    coalesce(used_at > now() - make_interval(secs => $3), false) AS in_grace
FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2;

-- revoke_token_family --
-- Revoke every live token of a login family (reuse detected, or logout).
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL;

-- revoke_family_of_token --
-- Logout: revoke the family of a token the user owns; unknown tokens change nothing.
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = $1 AND revoked_at IS NULL AND family_id = (
    SELECT family_id FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2
      AND user_id = $3);

-- revoke_user_tokens --
-- Revoke every live refresh token of a user (deactivation).
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL;
