"""Tenant workflow settings: the clocks that drive escalation, expiry, reminders, completion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from server import errors
from server.db import Tx
from server.events import service as events
from server.workflow import queries
from server.workflow.durations import DurationError, format_duration, parse_duration
from server.workflow.schemas import WorkflowSettingsOut, WorkflowSettingsUpdate

CLOCKS = ("escalate_after", "expire_after", "remind_before")


def settings_out(row: asyncpg.Record | dict[str, Any]) -> WorkflowSettingsOut:
    def text(value: timedelta | None) -> str | None:
        return None if value is None else format_duration(value)

    return WorkflowSettingsOut(
        approval_required=row["approval_required"],
        escalate_after=text(row["escalate_after"]),
        expire_after=text(row["expire_after"]),
        remind_before=text(row["remind_before"]),
        auto_complete=row["auto_complete"],
        max_booking_days=row["max_booking_days"],
        updated_at=row["updated_at"],
    )


def parse_clocks(body: WorkflowSettingsUpdate) -> dict[str, timedelta | None]:
    """The clocks the body sets, parsed; 422 listing every bad one."""
    parsed: dict[str, timedelta | None] = {}
    problems: list[dict[str, str]] = []
    for name in CLOCKS:
        value = getattr(body, name)
        if value is msgspec.UNSET:
            continue
        if value is None:
            parsed[name] = None
            continue
        try:
            parsed[name] = parse_duration(value)
        except DurationError as exc:
            problems.append({"field": name, "message": str(exc)})
    if problems:
        raise errors.ValidationFailed(problems)
    return parsed


async def get_settings(tx: Tx) -> WorkflowSettingsOut:
    """The tenant's settings (every tenant gets a row at signup)."""
    row = await queries.get_settings(tx)
    if row is None:
        raise errors.NotFound("No workflow settings for this tenant")
    return settings_out(row)


async def update_settings(tx: Tx, body: WorkflowSettingsUpdate) -> WorkflowSettingsOut:
    """Apply the fields the body names; later bookings use the new clocks."""
    clocks = parse_clocks(body)
    current = await queries.lock_settings(tx)
    if current is None:
        raise errors.NotFound("No workflow settings for this tenant")
    merged: dict[str, Any] = {name: current[name] for name in current.keys()}
    merged.update(clocks)
    for name in ("approval_required", "auto_complete", "max_booking_days"):
        value = getattr(body, name)
        if value is not msgspec.UNSET:
            merged[name] = value
    row = await queries.update_settings(
        tx,
        approval_required=merged["approval_required"],
        escalate_after=merged["escalate_after"],
        expire_after=merged["expire_after"],
        remind_before=merged["remind_before"],
        auto_complete=merged["auto_complete"],
        max_booking_days=merged["max_booking_days"],
    )
    before, after = settings_out(current), settings_out(row)
    await events.record(
        tx,
        type="workflow.updated",
        entity_type="workflow_settings",
        entity_id=tx.tenant_id,
        before=before,
        after=after,
    )
    return after
