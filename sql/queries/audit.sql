-- insert_audit --
-- An audit entry for a change that has no event type (users); no seq is taken.
INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                       correlation_id, before, after, diff)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- list_audit --
-- A page of audit entries by (at, id), each filter optional; $7/$8 continue after a key.
SELECT id, at, actor_id, action, entity_type, entity_id, correlation_id, before, after, diff
FROM audit_log
WHERE tenant_id = $1
  AND ($2::text IS NULL OR entity_type = $2)
  AND ($3::uuid IS NULL OR entity_id = $3)
  AND ($4::uuid IS NULL OR actor_id = $4)
  AND ($5::timestamptz IS NULL OR at >= $5)
  AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::timestamptz IS NULL OR (at, id) > ($7, $8::uuid))
ORDER BY at, id
LIMIT $9;
