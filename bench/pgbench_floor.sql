-- The floor statement (bench/floor.sql, bench_floor_create) as pgbench runs it, on the slots
-- and hours pgbench_booking.sql books: each client its own resource, one hour after the other.
\set n :n + 1
\set hour :base + :n
SELECT bench_floor_create('booking_app', s.tenant, s.resource, s.requester,
    timestamptz '2100-01-04 00:00Z' + :hour::int * interval '1 hour',
    timestamptz '2100-01-04 01:00Z' + :hour::int * interval '1 hour', :after::jsonb)
FROM bench_pgbench_slots s
WHERE s.client = :client_id;
