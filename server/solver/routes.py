from __future__ import annotations

from starlette.responses import Response

from server.db import Tx
from server.http.api import Api, Call, raw_response
from server.idempotency import service as idempotency
from server.schemas import encoder
from server.solver import service
from server.solver.schemas import ConstraintOut, SolveIn, SolveOut

api = Api()


@api.route(
    "GET",
    "/v1/schedule/constraints",
    role="viewer",
    summary="Every rule the solver and `python -m server verify` check",
    tag="schedule",
    response=list[ConstraintOut],
    errors=(401,),
)
async def list_constraints(call: Call) -> list[ConstraintOut]:
    return service.list_constraints()


@api.route(
    "POST",
    "/v1/schedule/solve",
    role="manager",
    summary="Assign demands to resources under every rule (CP-SAT); optionally book them",
    tag="schedule",
    body=SolveIn,
    response=SolveOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
    # Solving holds no transaction: the instance is read in one snapshot, solved in the
    # process pool, and only `commit: true` (or an Idempotency-Key) opens a write.
    transactional=False,
)
async def solve(call: Call) -> SolveOut | Response:
    body: SolveIn = call.body
    rt = call.rt
    wants = service.validate(body)
    instance = await rt.db.read(
        call.auth,
        lambda tx: service.prepare(
            tx,
            wants,
            objective=body.objective,
            time_limit=rt.settings.solver_time_limit,
            workers=rt.settings.solver_workers,
        ),
        snapshot=True,
    )
    solution, greedy = await rt.solver.solve(instance.problem)
    out = service.answer(instance, solution, greedy)

    async def work(tx: Tx) -> SolveOut:
        return await service.write_bookings(tx, instance, out) if body.commit else out

    key = call.request.headers.get("idempotency-key")
    if key is None:
        return await rt.db.run(call.auth, work) if body.commit else out
    status, payload = await idempotency.run_once(
        rt.db,
        call.auth,
        key=key,
        fingerprint=idempotency.fingerprint("POST", call.request.url.path, encoder.encode(body)),
        work=work,
        render=lambda result: (200, encoder.encode(result)),
    )
    return raw_response(status, payload)
