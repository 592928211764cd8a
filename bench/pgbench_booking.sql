-- What one booking create sends, as pgbench runs it (-M prepared): the one statement of
-- sql/queries/bookings.sql `create_booking` (app_create_booking: role and tenant, resource
-- lock and overlap pre-check, context stamp, number and seq, INSERT, audit, event), alone
-- in its implicit transaction as the server sends it. Each client books its own resource
-- (:idx into the lists the tool passes with -D, with the stamp of its context), one hour
-- after the other, so no two transactions conflict.
\set idx :client_id + 1
\set n :n + 1
\set hour :base + :n
SELECT outcome FROM app_create_booking('booking_app',
    (string_to_array(:tenants, ','))[:idx::int]::uuid,
    (string_to_array(:stamps, ','))[:idx::int]::text,
    gen_random_uuid(),
    (string_to_array(:resources, ','))[:idx::int]::uuid,
    NULL,
    (string_to_array(:users, ','))[:idx::int]::uuid,
    '', '',
    timestamptz '2100-01-04 00:00Z' + :hour::int * interval '1 hour',
    timestamptz '2100-01-04 01:00Z' + :hour::int * interval '1 hour',
    'confirmed', gen_random_uuid(), 'pgbench', :after::jsonb, :diff::jsonb);
