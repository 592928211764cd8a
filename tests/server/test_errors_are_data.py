"""Errors are plain data (a code, a detail, extras): what a failed write must re-read runs
as the transaction's ``after_rollback``, not as a closure on the exception."""

from __future__ import annotations

import msgspec

from server import errors
from server.bookings import rules, transitions  # noqa: F401  (their error classes)
from server.events import service as events  # noqa: F401


def _subclasses(cls: type[errors.AppError]) -> list[type[errors.AppError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_app_error_holds_only_data() -> None:
    for cls in [errors.AppError, *_subclasses(errors.AppError)]:
        try:
            err = cls("detail")
        except TypeError:  # a class with required arguments of its own
            continue
        own = {k: v for k, v in vars(err).items() if k not in ("detail", "extras")}
        assert all(isinstance(v, str | int | float) for v in own.values()), (cls, own)
        msgspec.to_builtins(vars(err))  # fails on anything but plain data
        msgspec.json.encode(err.problem())
