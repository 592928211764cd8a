from __future__ import annotations

from server.audit import service
from server.audit.schemas import AuditPage, AuditQuery
from server.http.api import Api, Call

api = Api()


@api.route(
    "GET",
    "/v1/audit",
    role="admin",
    summary="Audit entries, oldest first, filtered by entity, actor and time",
    tag="audit",
    query=AuditQuery,
    response=AuditPage,
    errors=(401, 403, 422),
)
async def list_audit(call: Call) -> AuditPage:
    return await call.rt.db.read(call.auth, lambda tx: service.list_audit(tx, call.query))
