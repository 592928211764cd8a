-- insert_audit --
-- An audit entry for a change that has no event type (users); no seq is taken.
INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                       correlation_id, before, after, diff)
VALUES (:tenant_id, :audit_id, :actor_id, :action, :entity_type, :entity_id, :correlation_id,
        :before, :after, :diff);

-- list_audit --
-- A page of audit entries by (at, id), each filter optional; :after_at/:after_id continue after a key.
SELECT id, at, actor_id, action, entity_type, entity_id, correlation_id, before, after, diff
FROM audit_log
WHERE tenant_id = :tenant_id
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::uuid IS NULL OR entity_id = :entity_id)
  AND (:actor_id::uuid IS NULL OR actor_id = :actor_id)
  AND (:start::timestamptz IS NULL OR at >= :start)
  AND (:end::timestamptz IS NULL OR at < :end)
  AND (:after_at::timestamptz IS NULL OR (at, id) > (:after_at, :after_id::uuid))
ORDER BY at, id
LIMIT :limit;
