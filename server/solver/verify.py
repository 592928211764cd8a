"""``python -m server verify``: every rule of the registry checked against stored data,
tenant by tenant, each in a read-only transaction scoped to it (row-level security on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from server import errors
from server.db import Context, Database, Tx
from server.solver import constraints, queries


@dataclass(frozen=True, slots=True)
class Violation:
    tenant: str
    rule: str
    subject_id: UUID
    detail: str

    def line(self) -> str:
        return f"{self.tenant}: {self.rule}: {self.detail} [{self.subject_id}]"


@dataclass(frozen=True, slots=True)
class Report:
    violations: list[Violation]
    tenants: int
    rules: list[str]


async def check_tenant(
    tx: Tx, slug: str, *, start: datetime | None, end: datetime | None
) -> tuple[list[str], list[Violation]]:
    """The rules in force and their violations in this tenant over [start, end)."""
    rules = constraints.RULES
    found: list[Violation] = []
    for rule in rules:
        rows = await queries.rule_rows(tx, rule.check, start=start, end=end)
        if rule.violates is not None:
            rows = [row for row in rows if rule.violates(row)]
        found += [Violation(slug, rule.name, row["subject_id"], row["detail"]) for row in rows]
    return [rule.name for rule in rules], found


async def verify(
    db: Database, *, slug: str | None, start: datetime | None, end: datetime | None
) -> Report:
    """Every tenant (or the one with ``slug``: NotFound if none) against every rule."""
    async with db.transaction(None, readonly=True) as tx:
        tenants = await queries.tenants(tx, slug)
    if slug is not None and not tenants:
        raise errors.NotFound(f"no tenant with slug {slug!r}")
    names = [rule.name for rule in constraints.RULES]
    violations: list[Violation] = []
    for tenant in tenants:
        ctx = Context(tenant_id=tenant["id"], request_id="verify")
        async with db.transaction(ctx, isolation="repeatable_read", readonly=True) as tx:
            _, found = await check_tenant(tx, tenant["slug"], start=start, end=end)
        violations += found
    return Report(violations=violations, tenants=len(tenants), rules=names)
