-- wrk against bench/bareapp.py: a random slot and hour per request, each thread seeded apart
-- (threads seeded alike would send the same bookings twice and be answered 409 half the time).
-- Its one argument is the number of slots (bench_pgbench_slots).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  slots = tonumber(args[1])
  math.randomseed(os.time() * 100 + id)
end
request = function()
  local body = string.format('{"client":%d,"hour":%d}', math.random(0, slots - 1),
    math.random(0, 2000000))
  return wrk.format("POST", "/book", {["Content-Type"]="application/json"}, body)
end
