-- insert_user --
-- Create a user of the current tenant.
INSERT INTO users (tenant_id, id, email, name, role, password_hash)
VALUES (:tenant_id, :user_id, :email, :name, :role, :password_hash)
RETURNING id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason;

-- get_user --
-- One user of the current tenant.
SELECT id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason
FROM users WHERE tenant_id = :tenant_id AND id = :user_id;

-- get_user_by_email --
-- A user of the current tenant by normalized email (login_key), with the password hash.
SELECT id, email, name, role, password_hash, created_at, updated_at, deactivated_at,
    deactivated_by, deactivation_reason
FROM users WHERE tenant_id = :tenant_id AND lower(email) = :email;

-- lock_active_user --
-- An active user, share-locked so a concurrent deactivation waits for this transaction.
SELECT id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason
FROM users WHERE tenant_id = :tenant_id AND id = :user_id AND deactivated_at IS NULL
FOR SHARE;

-- get_user_for_update --
-- One user of the current tenant, locked for a change.
SELECT id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason
FROM users WHERE tenant_id = :tenant_id AND id = :user_id
FOR UPDATE;

-- lock_active_admins --
-- Lock every active admin (in id order, so concurrent changes queue instead of deadlocking).
SELECT id FROM users
WHERE tenant_id = :tenant_id AND role = 'admin' AND deactivated_at IS NULL
ORDER BY id
FOR UPDATE;

-- set_password_hash --
-- Replace a password hash (a rehash with new parameters; not a user-visible change).
UPDATE users SET password_hash = :password_hash WHERE tenant_id = :tenant_id AND id = :user_id;

-- list_users --
-- A page of users ordered by (created_at, id), after an optional keyset cursor.
SELECT id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason
FROM users
WHERE tenant_id = :tenant_id
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) > (:after_created_at, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;

-- update_user --
-- Change a user's name and/or role (null keeps the current value).
UPDATE users SET name = coalesce(:name, name), role = coalesce(:role, role), updated_at = now()
WHERE tenant_id = :tenant_id AND id = :user_id
RETURNING id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason;

-- deactivate_user --
-- Soft-delete a user: record when, by whom and why.
UPDATE users SET deactivated_at = now(), deactivated_by = :by, deactivation_reason = :reason,
    updated_at = now()
WHERE tenant_id = :tenant_id AND id = :user_id AND deactivated_at IS NULL
RETURNING id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason;

-- reactivate_user --
-- Undo a soft delete: the user may log in again (tokens from before stay ended).
UPDATE users SET deactivated_at = NULL, deactivated_by = NULL, deactivation_reason = NULL,
    updated_at = now()
WHERE tenant_id = :tenant_id AND id = :user_id AND deactivated_at IS NOT NULL
RETURNING id, email, name, role, created_at, updated_at, deactivated_at, deactivated_by,
    deactivation_reason;

-- get_password_hash --
-- The password hash of an active user of the current tenant.
SELECT password_hash FROM users
WHERE tenant_id = :tenant_id AND id = :user_id AND deactivated_at IS NULL;
