-- insert_refresh_token --
-- Store a new refresh token (hashed) in a login family.
INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6));
