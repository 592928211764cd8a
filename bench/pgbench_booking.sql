-- What one booking create sends, as pgbench runs it (-M prepared): the one statement of
-- sql/queries/bookings.sql `create_booking` (app_create_booking: role and tenant, resource
-- lock and overlap pre-check, context stamp, number and seq, INSERT, audit, event), alone
-- in its implicit transaction as the server sends it. Each client books its own resource
-- (its row of bench_pgbench_slots: tenant, resource, requester and the stamp of its
-- context, read by primary key in the same statement), one hour after the other, so no two
-- transactions conflict.
\set n :n + 1
\set hour :base + :n
SELECT c.outcome
FROM bench_pgbench_slots s,
    LATERAL app_create_booking('booking_app', s.tenant, s.stamp, gen_random_uuid(),
        s.resource, NULL, s.requester, '', '',
        timestamptz '2100-01-04 00:00Z' + :hour::int * interval '1 hour',
        timestamptz '2100-01-04 01:00Z' + :hour::int * interval '1 hour',
        'confirmed', gen_random_uuid(), 'pgbench', :after::jsonb, :diff::jsonb) c
WHERE s.client = :client_id;
