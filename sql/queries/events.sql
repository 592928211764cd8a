-- record_change --
-- Audit entry, next per-tenant seq and event row in one statement; the counter row is
-- locked last in the transaction so it is held only until commit. No NOTIFY: the relay
-- is woken after commit (realtime/wake.py).
WITH audit AS (
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    VALUES (:tenant_id, :audit_id, :actor_id, :type, :entity_type, :entity_id, :correlation_id,
            :before, :after, :diff)
), counter AS (
    UPDATE tenant_counters SET event_seq = event_seq + 1 WHERE tenant_id = :tenant_id
    RETURNING event_seq
), event AS (
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    SELECT :tenant_id, event_seq, :type, :actor_id, :entity_type, :entity_id, :after FROM counter
    RETURNING seq, at
)
SELECT seq, at FROM event;

-- events_since --
-- Events after a seq, in order, bounded.
SELECT seq, type, at, actor_id, data FROM events
WHERE tenant_id = :tenant_id AND seq > :since ORDER BY seq LIMIT :limit;

-- event_head --
-- The tenant's latest seq and the oldest seq still retained.
SELECT c.event_seq AS head,
       (SELECT min(seq) FROM events e WHERE e.tenant_id = :tenant_id) AS oldest
FROM tenant_counters c WHERE c.tenant_id = :tenant_id;
