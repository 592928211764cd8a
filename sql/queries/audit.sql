-- insert_audit --
-- An audit entry for a change that has no event type (users); no seq is taken.
INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                       correlation_id, before, after, diff)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
