"""The one error base class, and the problem body every face renders from it."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://booking.example/problems/"


class AppError(Exception):
    """An expected failure with a stable ``code`` and an HTTP status."""

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extras: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extras = extras

    def problem(self, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        body.update(self.extras)
        if request_id is not None:
            body["request_id"] = request_id
        return body


class BadRequest(AppError):
    code, status, title = "bad_request", 400, "Bad request"


class MalformedJson(AppError):
    code, status, title = "malformed_json", 400, "Malformed JSON"


class Unauthorized(AppError):
    code, status, title = "unauthorized", 401, "Unauthorized"


class Forbidden(AppError):
    code, status, title = "forbidden", 403, "Forbidden"


class NotFound(AppError):
    code, status, title = "not_found", 404, "Not found"


class MethodNotAllowed(AppError):
    code, status, title = "method_not_allowed", 405, "Method not allowed"


class Conflict(AppError):
    code, status, title = "conflict", 409, "Conflict"


class Gone(AppError):
    code, status, title = "gone", 410, "Gone"


class PreconditionFailed(AppError):
    code, status, title = "version_mismatch", 412, "Version mismatch"


class PayloadTooLarge(AppError):
    code, status, title = "payload_too_large", 413, "Payload too large"


class Unprocessable(AppError):
    code, status, title = "unprocessable", 422, "Unprocessable request"


class ValidationFailed(Unprocessable):
    code, title = "validation_error", "Validation failed"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.extras["errors"] = errors

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls([{"field": field, "message": message}])


class RateLimited(AppError):
    code, status, title = "rate_limited", 429, "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail or f"Rate limit reached; retry in {retry_after} s")
        self.retry_after = retry_after


class Internal(AppError):
    code, status, title = "internal", 500, "Internal error"


class Unavailable(AppError):
    """A required service (database, Redis) is unreachable or saturated; answered with
    ``Retry-After``."""

    code, status, title = "service_unavailable", 503, "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SlugTaken(Conflict):
    code, title = "slug_taken", "Slug taken"


class EmailTaken(Conflict):
    code, title = "email_taken", "Email taken"


class CodeTaken(Conflict):
    code, title = "code_taken", "Project code taken"


class BookingConflict(Conflict):
    code, title = "booking_conflict", "Booking conflict"

    def __init__(self, detail: str | None = None, **extras: Any) -> None:
        super().__init__(detail or "The resource is already booked in that period", **extras)
        self.extras.setdefault("conflicts", [])


class ResourceUnavailable(Conflict):
    code, title = "resource_unavailable", "Resource unavailable"

    def __init__(self, detail: str | None = None, **extras: Any) -> None:
        super().__init__(detail or "The resource has time off in that period", **extras)
        self.extras.setdefault("time_off", [])


class BudgetExceeded(Conflict):
    code, title = "budget_exceeded", "Budget exceeded"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Invalid transition"


class Contention(Conflict):
    code, title = "contention", "Concurrent update"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "Another request changed the same rows; try again")


class InvalidPeriod(Unprocessable):
    code, title = "invalid_period", "Invalid period"


class Retryable(Exception):
    """A transaction lost a race (deadlock, serialization failure) and may be run again."""
