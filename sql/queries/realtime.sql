-- event_heads --
-- Every tenant's latest event seq, through the definer function (no tenant scope needed).
SELECT tenant_id, seq FROM app_event_heads();

-- deactivated_users --
-- Which of the given users of the current tenant have been deactivated.
SELECT id FROM users
WHERE tenant_id = $1 AND id = any($2::uuid[]) AND deactivated_at IS NOT NULL;
