-- The resource's advisory lock and the pre-check for overlapping blocking bookings, in one
-- call made by `booking_context`. The function is VOLATILE on purpose: each of its queries
-- takes a fresh snapshot, so the check after the lock sees what the previous holder
-- committed while this transaction waited (the calling statement's own snapshot predates
-- the wait). Every writer of a resource's bookings holds this lock, so that answer is
-- exact; the exclusion constraint stays the guard. A conflict already committed before the
-- lock is asked for is a conflict too: it is returned at once, without queueing on the lock
-- (the caller then refuses without writing), so the losers of a race that arrive after its
-- winner committed do not serialize. Both run as the caller: RLS applies.

-- Blocking bookings of a resource overlapping [p_start, p_end) but p_excluding, as JSON
-- (NULL when none), at most 20, by start. VOLATILE: a fresh snapshot on every call.
CREATE FUNCTION app_resource_conflicts(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
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

CREATE FUNCTION app_lock_resource(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    found jsonb;
BEGIN
    IF p_start IS NOT NULL AND p_end IS NOT NULL AND p_end > p_start THEN
        found := app_resource_conflicts(p_tenant, p_resource, p_start, p_end, p_excluding);
        IF found IS NOT NULL THEN
            RETURN found;
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || '/' || p_resource::text, 0));
    IF p_start IS NULL OR p_end IS NULL OR p_end <= p_start THEN
        RETURN NULL;
    END IF;
    RETURN app_resource_conflicts(p_tenant, p_resource, p_start, p_end, p_excluding);
END
$$;

GRANT EXECUTE ON FUNCTION app_resource_conflicts(uuid, uuid, timestamptz, timestamptz, uuid),
    app_lock_resource(uuid, uuid, timestamptz, timestamptz, uuid) TO booking_app;
