-- The resource's advisory lock and the pre-check for overlapping blocking bookings, in one
-- call made by `booking_context`. The function is VOLATILE on purpose: its query then
-- takes a fresh snapshot *after* the lock is granted, so it sees what the previous holder
-- committed while this transaction waited (the calling statement's own snapshot predates
-- the wait). Every writer of a resource's bookings holds this lock, so the answer is
-- exact; the exclusion constraint stays the guard. Runs as the caller: RLS applies.
CREATE FUNCTION app_lock_resource(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || '/' || p_resource::text, 0));
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start THEN
        RETURN NULL;
    END IF;
    RETURN (
        SELECT jsonb_agg(jsonb_build_object('id', c.id, 'number', c.number, 'start', c.s,
                                            'end', c.e, 'status', c.status)
                         ORDER BY c.s, c.id)
        FROM (
            SELECT id, number, lower(period) AS s, upper(period) AS e, status
            FROM bookings
            WHERE tenant_id = p_tenant AND resource_id = p_resource
              AND period && tstzrange(p_start, p_end, '[)')
              AND status IN ('pending', 'confirmed', 'completed')
              AND (p_excluding IS NULL OR id <> p_excluding)
            ORDER BY lower(period), id
            LIMIT 20
        ) c
    );
END
$$;

GRANT EXECUTE ON FUNCTION app_lock_resource(uuid, uuid, timestamptz, timestamptz, uuid)
    TO booking_app;
