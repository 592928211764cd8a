-- series_conflicts --
-- Everything blocking any occurrence [:starts[i], :ends[i]) (the resource's lock is already held): bookings, live holds, time off, each with occurrence_start.
SELECT app_lock_resource_periods(:tenant_id, :resource_id, :starts::timestamptz[],
                                 :ends::timestamptz[]) AS conflicts;

-- insert_series --
-- The series and every occurrence in one statement: numbers and seqs in one counter update (no row over budget :budget_hours), bookings, audit rows and booking.created events.
WITH occ AS (
    SELECT o.id, o.s, o.e, o.ord
    FROM unnest(:booking_ids::uuid[], :starts::timestamptz[], :ends::timestamptz[])
        WITH ORDINALITY AS o(id, s, e, ord)
), wanted AS (
    SELECT count(*) AS n, coalesce(sum(extract(epoch FROM e - s)), 0) AS seconds FROM occ
), used AS (
    SELECT app_project_booked_seconds(:tenant_id, :project_id) AS seconds
    WHERE :budget_hours::numeric IS NOT NULL
), n AS (
    UPDATE tenant_counters c
    SET booking_number = c.booking_number + w.n, event_seq = c.event_seq + w.n
    FROM wanted w
    WHERE c.tenant_id = :tenant_id
      AND (:budget_hours::numeric IS NULL
           OR (SELECT seconds FROM used) + w.seconds <= :budget_hours::numeric * 3600)
    RETURNING c.booking_number - w.n AS number0, c.event_seq - w.n AS seq0
), s AS (
    INSERT INTO series (tenant_id, id, resource_id, requester_id, recurrence)
    SELECT :tenant_id, :series_id, :resource_id, :requester_id, :recurrence FROM n
    RETURNING id
), b AS (
    INSERT INTO bookings (tenant_id, id, number, resource_id, project_id, requester_id, title,
                          note, period, status, series_id)
    SELECT :tenant_id, occ.id, n.number0 + occ.ord, :resource_id, :project_id, :requester_id,
        :title, :note, tstzrange(occ.s, occ.e, '[)'), :status, s.id
    FROM occ, n, s
    RETURNING id, number, resource_id, project_id, requester_id, title, note,
        lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
        escalated_at, series_id
), data AS (
    -- :planned: each booking's JSON in occurrence order, but for the number taken here.
    SELECT occ.id, occ.ord, jsonb_set(:planned::jsonb -> (occ.ord - 1)::int, '{number}',
                                      to_jsonb(b.number)) AS after
    FROM b JOIN occ ON occ.id = b.id
), audit AS (
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    SELECT :tenant_id, gen_random_uuid(), :requester_id, 'booking.created', 'booking', data.id,
        :correlation_id, NULL, data.after,
        (SELECT jsonb_object_agg(key, jsonb_build_array(NULL, value))
         FROM jsonb_each(data.after)
         WHERE key NOT IN ('updated_at', 'version') AND value <> 'null'::jsonb)
    FROM data
), event AS (
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    SELECT :tenant_id, n.seq0 + data.ord, 'booking.created', :requester_id, 'booking', data.id,
        data.after
    FROM n, data
)
SELECT b.* FROM b ORDER BY b.start;

-- get_series --
-- One series of the current tenant.
SELECT id, resource_id, requester_id, recurrence, created_at
FROM series WHERE tenant_id = :tenant_id AND id = :series_id;

-- series_bookings --
-- Every booking of a series (every status), by (start, id).
SELECT id, number, resource_id, project_id, requester_id, title, note,
    lower(period) AS start, upper(period) AS "end", status, version, created_at, updated_at,
    escalated_at, series_id
FROM bookings WHERE tenant_id = :tenant_id AND series_id = :series_id
ORDER BY lower(period), id;

-- series_bookings_to_cancel --
-- The pending and confirmed bookings of a series starting at or after :start, by (start, id).
SELECT id FROM bookings
WHERE tenant_id = :tenant_id AND series_id = :series_id AND status IN ('pending', 'confirmed')
  AND lower(period) >= :start
ORDER BY lower(period), id;
