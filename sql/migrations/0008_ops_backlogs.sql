-- Queues waiting for delivery, across tenants, for /metrics (read by the worker's sweep).
-- One row per queue: (queue, items, oldest_seconds). A feature with a queue of its own
-- (webhook deliveries, for instance) joins with CREATE OR REPLACE in its migration,
-- adding a UNION ALL branch; the columns stay the same.
CREATE FUNCTION app_backlogs()
    RETURNS TABLE (queue text, items bigint, oldest_seconds double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT 'notifications', count(*),
               coalesce(extract(epoch FROM now() - min(created_at)), 0)::double precision
        FROM notifications WHERE state = 'pending'
    $$;

REVOKE ALL ON FUNCTION app_backlogs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_backlogs() TO booking_app;
