-- insert_refresh_token --
-- Store a new refresh token (hashed) in a login family.
INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, token_hash, expires_at)
VALUES (:tenant_id, :token_id, :user_id, :family_id, :token_hash,
        now() + make_interval(secs => :ttl_seconds));

-- use_refresh_token --
-- Spend a live refresh token: atomically mark it used, so only one caller wins.
UPDATE refresh_tokens SET used_at = now()
WHERE tenant_id = :tenant_id AND token_hash = :token_hash
  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING user_id, family_id;

-- get_refresh_token --
-- A refresh token's state, and whether it was used within the last :grace_seconds seconds.
SELECT user_id, family_id, used_at, revoked_at, expires_at <= now() AS expired,
    coalesce(used_at > now() - make_interval(secs => :grace_seconds), false) AS in_grace
FROM refresh_tokens WHERE tenant_id = :tenant_id AND token_hash = :token_hash;

-- revoke_token_family --
-- Revoke every live token of a login family (reuse detected, or logout).
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = :tenant_id AND family_id = :family_id AND revoked_at IS NULL;

-- revoke_family_of_token --
-- Logout: revoke the family of a token the user owns; unknown tokens change nothing.
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = :tenant_id AND revoked_at IS NULL AND family_id = (
    SELECT family_id FROM refresh_tokens WHERE tenant_id = :tenant_id AND token_hash = :token_hash
      AND user_id = :user_id);

-- revoke_user_tokens --
-- Revoke every live refresh token of a user (deactivation, password reset).
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = :tenant_id AND user_id = :user_id AND revoked_at IS NULL;

-- lock_refresh_family --
-- Serialize the refreshes of one login family (found by one of its tokens) until commit.
SELECT family_id, pg_advisory_xact_lock(7316, hashtext(family_id::text))::text AS locked
FROM refresh_tokens WHERE tenant_id = :tenant_id AND token_hash = :token_hash;

-- login_key --
-- The tenant of a slug, and the email as PostgreSQL compares it: the one normalization
-- used by the per-account rate limit and the user lookup alike.
SELECT app_tenant_id_by_slug(:slug) AS tenant_id, lower(:email) AS email_key;

-- revoke_other_sessions --
-- Revoke every live refresh token of a user outside one login family (password change).
UPDATE refresh_tokens SET revoked_at = now()
WHERE tenant_id = :tenant_id AND user_id = :user_id AND revoked_at IS NULL
  AND family_id IS DISTINCT FROM :keep_family::uuid;

-- end_access_tokens --
-- Refuse the user's access tokens issued before now; returns the new time.
UPDATE users SET tokens_valid_after = now()
WHERE tenant_id = :tenant_id AND id = :user_id
RETURNING tokens_valid_after;

-- tokens_valid_after --
-- When the user's access tokens start being accepted (epoch seconds; 0 when never ended).
SELECT coalesce(extract(epoch FROM tokens_valid_after), 0)::float8 AS valid_after
FROM users WHERE tenant_id = :tenant_id AND id = :user_id;

-- insert_password_reset --
-- Store a password reset token (hashed) for a user, valid for :ttl_seconds seconds.
INSERT INTO password_reset_tokens (tenant_id, id, user_id, token_hash, expires_at)
VALUES (:tenant_id, :reset_id, :user_id, :token_hash, now() + make_interval(secs => :ttl_seconds));

-- use_password_reset --
-- Spend a live reset token of an active user: mark it used (once) and return the user.
UPDATE password_reset_tokens t SET used_at = now()
FROM users u
WHERE t.tenant_id = :tenant_id AND t.token_hash = :token_hash AND t.used_at IS NULL
  AND t.expires_at > now()
  AND u.tenant_id = t.tenant_id AND u.id = t.user_id AND u.deactivated_at IS NULL
RETURNING t.user_id;

-- end_password_resets --
-- Spend every other live reset token of a user (a reset or password change happened).
UPDATE password_reset_tokens SET used_at = now()
WHERE tenant_id = :tenant_id AND user_id = :user_id AND used_at IS NULL;
