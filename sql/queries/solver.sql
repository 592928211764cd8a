-- verify_no_overlap --
-- Pairs of blocking bookings of one resource that overlap, one touching [:start, :end) (null: unbounded).
SELECT a.id AS subject_id,
    format('bookings #%s and #%s of resource %s overlap: [%s, %s) and [%s, %s)',
           a.number, b.number, a.resource_id, lower(a.period), upper(a.period),
           lower(b.period), upper(b.period)) AS detail
FROM bookings a
JOIN bookings b ON b.tenant_id = a.tenant_id AND b.resource_id = a.resource_id
    AND a.number < b.number AND a.period && b.period
    AND app_blocking(b.status)
WHERE a.tenant_id = :tenant_id AND app_blocking(a.status)
  AND a.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY a.number, b.number;

-- verify_project_budget --
-- Projects with a blocking booking in [:start, :end) whose booked hours exceed their budget.
SELECT p.id AS subject_id,
    format('project %s (%s) has %s booked hours, over its budget of %s', p.name,
           coalesce(p.code, p.id::text), round(project_booked_hours(p.tenant_id, p.id), 2),
           p.budget_hours) AS detail
FROM projects p
WHERE p.tenant_id = :tenant_id AND p.budget_hours IS NOT NULL
  AND project_booked_hours(p.tenant_id, p.id) > p.budget_hours
  AND EXISTS (
      SELECT 1 FROM bookings b
      WHERE b.tenant_id = p.tenant_id AND b.project_id = p.id
        AND app_blocking(b.status)
        AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)'))
ORDER BY p.name, p.id;

-- verify_working_hours --
-- Members' blocking bookings in [:start, :end) on resources with working hours (Python keeps those outside them).
SELECT b.id AS subject_id, lower(b.period) AS start, upper(b.period) AS "end",
    r.working_hours, r.timezone,
    format('booking #%s by member %s on resource %s, [%s, %s), is outside the working hours'
           ' (%s)', b.number, u.email, r.name, lower(b.period), upper(b.period),
           r.timezone) AS detail
FROM bookings b
JOIN resources r ON r.tenant_id = b.tenant_id AND r.id = b.resource_id
JOIN users u ON u.tenant_id = b.tenant_id AND u.id = b.requester_id
WHERE b.tenant_id = :tenant_id AND app_blocking(b.status)
  AND u.role = 'member' AND r.working_hours IS NOT NULL
  AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY b.number;

-- verify_active_resource --
-- Blocking bookings in [:start, :end) created on a resource at or after its deactivation.
SELECT b.id AS subject_id,
    format('booking #%s was made on resource %s at %s, after it was deactivated at %s',
           b.number, r.name, b.created_at, r.deactivated_at) AS detail
FROM bookings b
JOIN resources r ON r.tenant_id = b.tenant_id AND r.id = b.resource_id
WHERE b.tenant_id = :tenant_id AND app_blocking(b.status)
  AND r.deactivated_at IS NOT NULL AND b.created_at >= r.deactivated_at
  AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY b.number;

-- verify_time_off --
-- Blocking bookings in [:start, :end) that overlap time off of their resource.
SELECT b.id AS subject_id,
    format('booking #%s of resource %s, [%s, %s), overlaps time off %s, [%s, %s)', b.number,
           b.resource_id, lower(b.period), upper(b.period), t.id, lower(t.period),
           upper(t.period)) AS detail
FROM bookings b
JOIN time_off t ON t.tenant_id = b.tenant_id AND t.resource_id = b.resource_id
    AND t.period && b.period
WHERE b.tenant_id = :tenant_id AND app_blocking(b.status)
  AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY b.number, t.id;

-- verify_holds --
-- Live holds in [:start, :end) that overlap a blocking booking or another live hold of their resource.
SELECT h.id AS subject_id,
    format('hold %s of resource %s, [%s, %s), overlaps %s', h.id, h.resource_id,
           lower(h.period), upper(h.period), o.what) AS detail
FROM holds h
JOIN LATERAL (
    SELECT format('booking #%s', b.number) AS what
    FROM bookings b
    WHERE b.tenant_id = h.tenant_id AND b.resource_id = h.resource_id
      AND b.period && h.period AND app_blocking(b.status)
    UNION ALL
    SELECT format('hold %s', g.id)
    FROM holds g
    WHERE g.tenant_id = h.tenant_id AND g.resource_id = h.resource_id AND g.id > h.id
      AND g.period && h.period AND g.expires_at > now() AND g.released_at IS NULL
) o ON true
WHERE h.tenant_id = :tenant_id AND h.expires_at > now() AND h.released_at IS NULL
  AND h.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
ORDER BY lower(h.period), h.id;

-- solver_booked --
-- Blocking bookings of resources :resource_ids overlapping [:start, :end): held periods for the solver.
SELECT resource_id, lower(period) AS start, upper(period) AS "end", id, number, status
FROM bookings
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[])
  AND app_blocking(status)
  AND period && tstzrange(:start, :end, '[)');

-- solver_time_off --
-- Time off of resources :resource_ids overlapping [:start, :end): held periods for the solver.
SELECT resource_id, lower(period) AS start, upper(period) AS "end", id,
    NULL::bigint AS number, 'time_off' AS status
FROM time_off
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[])
  AND period && tstzrange(:start, :end, '[)');

-- solver_holds --
-- Live holds of resources :resource_ids overlapping [:start, :end): held periods for the solver.
SELECT resource_id, lower(period) AS start, upper(period) AS "end", id,
    NULL::bigint AS number, 'held' AS status
FROM holds
WHERE tenant_id = :tenant_id AND resource_id = any(:resource_ids::uuid[]) AND expires_at > now()
  AND released_at IS NULL AND period && tstzrange(:start, :end, '[)');

-- solver_budgets --
-- Seconds left in the budget of each project of :project_ids that has one.
SELECT id AS project_id,
    budget_hours * 3600 - project_booked_hours(tenant_id, id) * 3600 AS seconds_left
FROM projects
WHERE tenant_id = :tenant_id AND id = any(:project_ids::uuid[]) AND budget_hours IS NOT NULL;

-- solver_resources --
-- The tenant's resources by (name, id) with what the resource rules need.
SELECT id, name, kind, skills, timezone, working_hours, deactivated_at
FROM resources
WHERE tenant_id = :tenant_id
ORDER BY name, id;

-- solver_projects --
-- The projects :project_ids of the tenant (a demand's project must exist and be active).
SELECT id, deactivated_at FROM projects
WHERE tenant_id = :tenant_id AND id = any(:project_ids::uuid[]);

-- solver_settings --
-- The transaction's now(), the longest booking allowed and the workflow clocks.
SELECT now() AS now, max_booking_days, escalate_after, expire_after, remind_before,
    auto_complete
FROM workflow_settings
WHERE tenant_id = :tenant_id;

-- solver_lock --
-- Advisory locks of the resources :resource_ids in the given order (the create path's key), then the project rows :project_ids.
SELECT (SELECT count(*) FROM (
            SELECT pg_advisory_xact_lock(
                hashtextextended(:tenant_id::uuid::text || '/' || r::text, 0))
            FROM unnest(:resource_ids::uuid[]) WITH ORDINALITY AS l(r, i)
        ) locked) AS resources,
    (SELECT count(*) FROM (
            SELECT id FROM projects WHERE tenant_id = :tenant_id AND id = any(:project_ids::uuid[])
            ORDER BY id FOR UPDATE
        ) rows) AS projects;

-- solver_insert_bookings --
-- Bookings :items (JSON list) with numbers and seqs from one counter update, each with its audit entry and booking.created event.
WITH item AS (
    SELECT x.ord, (x.item ->> 'id')::uuid AS id, (x.item ->> 'resource_id')::uuid AS resource_id,
        (x.item ->> 'project_id')::uuid AS project_id, x.item ->> 'title' AS title,
        (x.item ->> 'start')::timestamptz AS s, (x.item ->> 'end')::timestamptz AS e,
        (x.item ->> 'audit_id')::uuid AS audit_id, x.item -> 'after' AS after,
        x.item -> 'diff' AS diff
    FROM jsonb_array_elements(:items::jsonb) WITH ORDINALITY AS x(item, ord)
), n AS (
    UPDATE tenant_counters
    SET booking_number = booking_number + (SELECT count(*) FROM item),
        event_seq = event_seq + (SELECT count(*) FROM item)
    WHERE tenant_id = :tenant_id
    RETURNING booking_number - (SELECT count(*) FROM item) AS number0,
        event_seq - (SELECT count(*) FROM item) AS seq0
), b AS (
    INSERT INTO bookings (tenant_id, id, number, resource_id, project_id, requester_id, title,
                          note, period, status)
    SELECT :tenant_id, item.id, n.number0 + item.ord, item.resource_id, item.project_id,
        :requester_id, item.title, '', tstzrange(item.s, item.e, '[)'), 'confirmed'
    FROM item, n
    RETURNING id, number, resource_id, project_id, requester_id, title, note,
        lower(period) AS start, upper(period) AS "end", status, version, created_at,
        updated_at, escalated_at
), data AS (
    SELECT item.ord, item.id, item.audit_id,
        jsonb_set(item.after, '{number}', to_jsonb(b.number)) AS after,
        jsonb_set(item.diff, '{number}', jsonb_build_array(NULL, b.number)) AS diff
    FROM item JOIN b ON b.id = item.id
), audit AS (
    INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id,
                           correlation_id, before, after, diff)
    SELECT :tenant_id, data.audit_id, :requester_id, 'booking.created', 'booking', data.id,
        :correlation_id, NULL, data.after,
        data.diff
    FROM data
), event AS (
    INSERT INTO events (tenant_id, seq, type, actor_id, entity_type, entity_id, data)
    SELECT :tenant_id, n.seq0 + data.ord, 'booking.created', :requester_id, 'booking', data.id,
        data.after
    FROM n, data
    RETURNING seq
)
SELECT b.*, (SELECT count(*) FROM event) AS events
FROM b JOIN item ON item.id = b.id
ORDER BY item.ord;

-- verify_tenants --
-- The tenants to verify by slug: all, or the one named :slug.
SELECT id, slug FROM app_tenant_slugs() WHERE :slug::text IS NULL OR slug = :slug;
