"""The booking rules that need no database: periods, default status, working hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from server import errors
from server.auth.tokens import role_at_least
from server.availability.hours import within_working_hours

EDITABLE = ("pending", "confirmed")


class ResourceInactive(errors.Unprocessable):
    code, title = "resource_inactive", "Resource inactive"


class ProjectInactive(errors.Unprocessable):
    code, title = "project_inactive", "Project inactive"


class OutsideWorkingHours(errors.Unprocessable):
    code, title = "outside_working_hours", "Outside working hours"


def is_manager(role: str | None) -> bool:
    return role_at_least(role, "manager")


def check_period(start: datetime, end: datetime, max_days: int | None = None) -> None:
    if end <= start:
        raise errors.InvalidPeriod("`end` must be after `start`")
    if max_days is not None and end - start > timedelta(days=max_days):
        raise errors.InvalidPeriod(f"A booking may last at most {max_days} days")


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def initial_status(requested: str | None, *, approval_required: bool, role: str | None) -> str:
    """Pending when approval is required and a member asks; a member may not self-confirm."""
    needs_approval = approval_required and not is_manager(role)
    if requested is None:
        return "pending" if needs_approval else "confirmed"
    if requested == "confirmed" and needs_approval:
        raise errors.Forbidden("Bookings by members need approval; ask for `pending`")
    return requested


def check_target(
    context: Mapping[str, Any],
    *,
    project_id: Any,
    resource_changed: bool = True,
    project_changed: bool = True,
) -> None:
    """404 for an unknown resource or project, 422 when the new one is inactive."""
    if context["resource_id"] is None:
        raise errors.NotFound("resource not found")
    if project_id is not None and context["project_id"] is None:
        raise errors.NotFound("project not found")
    if resource_changed and context["resource_deactivated_at"] is not None:
        raise ResourceInactive("The resource is deactivated and takes no new bookings")
    if project_id is not None and project_changed and context["project_deactivated_at"]:
        raise ProjectInactive("The project is deactivated and takes no new bookings")


def check_within_working_hours(
    context: Mapping[str, Any], start: datetime, end: datetime, *, role: str | None
) -> None:
    """Members book inside one working interval of the resource; managers anywhere."""
    if is_manager(role):
        return
    if not within_working_hours(context["working_hours"], context["timezone"], start, end):
        raise OutsideWorkingHours(
            f"The period is not inside the resource's working hours ({context['timezone']})"
        )
