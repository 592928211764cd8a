"""``--driver wrk``: the ``spread``/``hot-tenant`` load made by wrk (C) instead of the
Python clients, as the yardstick drives its bare app, so the two figures are made alike:
on a 2-core machine the Python load generator takes CPU the server then lacks.

One wrk per serve process (``clients / processes`` connections each, one thread), a Lua
script booking random hours of random resources of the tenants, as ``spread`` does.
Statuses are counted by the script; latencies are wrk's (p50/p90/p99 over all requests);
the id of every booking answered 201 is printed at the end, so the run's checks look each
one up in the database as they do for the Python clients.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.fixtures import Tenant
from bench.report import Latency, Operation

SCRIPT = """
local tenants = {%(tenants)s}
local base = 1893974400 -- 2030-01-07T00:00:00Z, a Monday
local threads = {}
local names = {"201", "409", "422", "429", "4xx", "5xx", "other"}
counts = {}
created = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(%(seed)d + os.time() * 1000 + tonumber(args[1] or "0"))
  for _, name in ipairs(names) do _G["n" .. name] = 0 end
end
request = function()
  local t = tenants[math.random(#tenants)]
  local r = t.resources[math.random(#t.resources)]
  local s = base + math.random(0, %(hours)d - 1) * 3600
  local body = string.format('{"resource_id":"%%s","start":"%%s","end":"%%s"}', r,
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s), os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s + 3600))
  return wrk.format("POST", "/v1/bookings", {["Content-Type"]="application/json",
    ["Authorization"]="Bearer " .. t.token}, body)
end
response = function(status, headers, body)
  local name = tostring(status)
  if name ~= "201" and name ~= "409" and name ~= "422" and name ~= "429" then
    if status >= 500 then name = "5xx" elseif status >= 400 then name = "4xx"
    else name = "other" end
  end
  _G["n" .. name] = _G["n" .. name] + 1
  if status == 201 then created[#created + 1] = body:match('"id"%%s*:%%s*"([%%x%%-]+)"') end
end
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("latency p%%d %%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("latency max %%d\\n", latency.max))
  local e = summary.errors
  io.write(string.format("status noanswer %%d\\n", e.connect + e.read + e.write + e.timeout))
  for _, name in ipairs(names) do
    local n = 0
    for _, thread in ipairs(threads) do n = n + thread:get("n" .. name) end
    io.write(string.format("status %%s %%d\\n", name, n))
  end
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("created")) do io.write("created " .. id .. "\\n") end
  end
end
"""
# wrk keeps one Lua state per thread: `done` sums the threads' counters.
_STATUS = re.compile(r"^status (\w+) (\d+)$", re.MULTILINE)
_LATENCY = re.compile(r"^latency (p\d+|max) (\d+)$", re.MULTILINE)
_CREATED = re.compile(r"^created ([0-9a-f-]{36})$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)


def available() -> bool:
    return shutil.which("wrk") is not None


def script(tenants: list[Tenant], *, seed: int, hours: int) -> str:
    rows = []
    for tenant in tenants:
        resources = ",".join(f'"{r}"' for r in tenant.resources)
        rows.append(f'{{token="{tenant.token}", resources={{{resources}}}}}')
    return SCRIPT % {"tenants": ",\n".join(rows), "seed": seed, "hours": hours}


def drive(
    urls: list[str], tenants: list[Tenant], *, clients: int, seconds: float, seed: int, hours: int
) -> tuple[Operation, int, float, list[str]]:
    """Run one wrk per URL at once; (the create operation, requests, elapsed seconds, the
    ids answered 201)."""
    if not available():
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spread.lua"
        path.write_text(script(tenants, seed=seed, hours=hours))
        per = max(1, clients // len(urls))
        procs = [
            subprocess.Popen(
                # wrk's timeout above the server's worst latency; the index after "--"
                # seeds each wrk apart, so they book different slots.
                [
                    "wrk",
                    "-t1",
                    f"-c{per}",
                    f"-d{int(seconds)}s",
                    "--timeout",
                    "30s",
                    "--latency",
                    "-s",
                    str(path),
                    f"{url}/v1/bookings",
                    "--",
                    str(index),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for index, url in enumerate(urls)
        ]
        outputs = [proc.communicate(timeout=seconds + 60)[0] for proc in procs]
    statuses: dict[str, int] = {}
    latencies: dict[str, float] = {}
    requests = 0
    created: list[str] = []
    for text in outputs:
        created.extend(_CREATED.findall(text))
        found = _REQUESTS.search(text)
        if found is None:
            raise RuntimeError(f"wrk failed:\n{text[-1500:]}")
        requests += int(found.group(1))
        if not _STATUS.search(text):
            raise RuntimeError(f"wrk's script printed no statuses:\n{text[-1500:]}")
        for status, count in _STATUS.findall(text):
            if int(count):
                name = "no answer" if status == "noanswer" else status
                statuses[name] = statuses.get(name, 0) + int(count)
        for name, micros in _LATENCY.findall(text):
            latencies[name] = max(latencies.get(name, 0.0), int(micros) / 1000)
    elapsed = float(int(seconds))
    operation = Operation(
        name="create",
        count=requests,
        rps=round(requests / elapsed, 1),
        # Of the wrk instances, the worst percentile (p95 column: wrk's p90).
        latency=Latency(
            count=requests,
            p50_ms=latencies.get("p50", 0.0),
            p95_ms=latencies.get("p90", 0.0),
            p99_ms=latencies.get("p99", 0.0),
            max_ms=latencies.get("max", 0.0),
        ),
        statuses=dict(sorted(statuses.items())),
    )
    if len(created) != statuses.get("201", 0):
        raise RuntimeError(f"wrk: {len(created)} ids printed for {statuses.get('201', 0)} 201s")
    return operation, requests, elapsed, created
