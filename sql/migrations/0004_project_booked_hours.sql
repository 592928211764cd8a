-- The hours a project has booked (pending, confirmed and completed bookings), one
-- definition for every query that reports them. SECURITY INVOKER: row-level security
-- of the caller applies inside.
CREATE FUNCTION project_booked_hours(p_tenant uuid, p_project uuid) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT coalesce(sum(extract(epoch FROM upper(period) - lower(period))), 0) / 3600
        FROM bookings
        WHERE tenant_id = p_tenant AND project_id = p_project
          AND status IN ('pending', 'confirmed', 'completed')
    $$;
GRANT EXECUTE ON FUNCTION project_booked_hours(uuid, uuid) TO booking_app;
