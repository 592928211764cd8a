-- record_change --
-- Audit entry, next per-tenant seq and event row in one statement; the counter row is
-- locked last in the transaction so it is held only until commit. No NOTIFY: the relay
-- is woken after commit (realtime/wake.py).
WITH audit AS (
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
), counter AS (
    UPDATE tenant_counters SET event_seq = event_seq + 1 WHERE tenant_id = $1
    RETURNING event_seq
), event AS (
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    SELECT $1, event_seq, $4, $3, $5, $6, $9 FROM counter
    RETURNING seq, at
)
SELECT seq, at FROM event;

-- events_since --
-- Events after a seq, in order, bounded.
SELECT seq, type, at, actor_id, data FROM events
WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3;

-- event_head --
-- The tenant's latest seq and the oldest seq still retained.
SELECT c.event_seq AS head,
       (SELECT min(seq) FROM events e WHERE e.tenant_id = $1) AS oldest
FROM tenant_counters c WHERE c.tenant_id = $1;
