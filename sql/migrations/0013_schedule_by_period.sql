-- The schedule's bookings read through the period index. As booking_app, row-level
-- security keeps `period &&` out of index conditions (the range operators are not
-- leakproof; see 0012), so a week's schedule read every booking the tenant ever had and
-- filtered each by period. As the owner the condition is the index condition of
-- bookings_period_idx (tenant_id, period). The function filters by the caller's tenant
-- itself (app_current_tenant(), what the policy reads) and answers nothing for another,
-- so it returns only what the policy would have shown. STABLE: it reads the calling
-- statement's snapshot, the same as the schedule's other reads.
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
