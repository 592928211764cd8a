-- Reads by period through the period indexes: the schedule's bookings, and what blocks
-- resources for availability and slot search. As booking_app, row-level security keeps
-- `period &&` out of index conditions (the range operators are not leakproof; see 0012),
-- so these reads took every booking the tenant (or resource) ever had and filtered each
-- by period. As the owner the condition is an index condition (bookings_period_idx
-- (tenant_id, period), the exclusion constraints' indexes, time_off_period_idx). Each
-- function filters by the caller's tenant itself (app_current_tenant(), what the policies
-- read) and answers nothing for another, so it returns only what the policies would have
-- shown. STABLE: they read the calling statement's snapshot, as the reads they replace.
CREATE FUNCTION app_schedule_bookings(
    p_tenant uuid, p_resource_ids uuid[], p_start timestamptz, p_end timestamptz,
    p_limit integer
)
    RETURNS TABLE (
        id uuid, number bigint, resource_id uuid, project_id uuid, requester_id uuid,
        title text, note text, start timestamptz, "end" timestamptz, status text,
        version integer, created_at timestamptz, updated_at timestamptz,
        escalated_at timestamptz, status_reason text, series_id uuid
    )
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
    AS $$
#variable_conflict use_column
BEGIN
    IF p_tenant IS DISTINCT FROM app_current_tenant() THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT b.id, b.number, b.resource_id, b.project_id, b.requester_id, b.title, b.note,
        lower(b.period), upper(b.period), b.status, b.version, b.created_at, b.updated_at,
        b.escalated_at, b.status_reason, b.series_id
    FROM bookings b
    WHERE b.tenant_id = p_tenant
      AND (p_resource_ids IS NULL OR b.resource_id = any(p_resource_ids))
      AND b.period && tstzrange(p_start, p_end, '[)')
    ORDER BY lower(b.period), b.id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION app_schedule_bookings(uuid, uuid[], timestamptz, timestamptz, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_schedule_bookings(uuid, uuid[], timestamptz, timestamptz, integer)
    TO booking_app;

-- What blocks the listed resources in [p_start, p_end): blocking bookings, live holds
-- (status "held") and time off (status "time_off"), unordered.
CREATE FUNCTION app_blocking_periods(
    p_tenant uuid, p_resource_ids uuid[], p_start timestamptz, p_end timestamptz
)
    RETURNS TABLE (
        kind text, id uuid, resource_id uuid, start timestamptz, "end" timestamptz,
        status text
    )
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
    AS $$
#variable_conflict use_column
DECLARE
    wanted tstzrange := tstzrange(p_start, p_end, '[)');
BEGIN
    IF p_tenant IS DISTINCT FROM app_current_tenant() THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT 'booking', b.id, b.resource_id, lower(b.period), upper(b.period), b.status
    FROM bookings b
    WHERE b.tenant_id = p_tenant AND b.resource_id = any(p_resource_ids)
      AND b.period && wanted AND app_blocking(b.status)
    UNION ALL
    SELECT 'hold', h.id, h.resource_id, lower(h.period), upper(h.period), 'held'
    FROM holds h
    WHERE h.tenant_id = p_tenant AND h.resource_id = any(p_resource_ids)
      AND h.period && wanted AND h.released_at IS NULL AND h.expires_at > clock_timestamp()
    UNION ALL
    SELECT 'time_off', t.id, t.resource_id, lower(t.period), upper(t.period), 'time_off'
    FROM time_off t
    WHERE t.tenant_id = p_tenant AND t.resource_id = any(p_resource_ids)
      AND t.period && wanted;
END
$$;

REVOKE ALL ON FUNCTION app_blocking_periods(uuid, uuid[], timestamptz, timestamptz)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_blocking_periods(uuid, uuid[], timestamptz, timestamptz)
    TO booking_app;
