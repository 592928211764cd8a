"""Passwords: argon2id off the event loop, a policy check, and a dummy hash for timing."""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.errors import Unprocessable

# OWASP's argon2id minimum is m=19 MiB, t=2, p=1; these are above it.
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16)
MIN_LENGTH = 12
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^\w\s]|_"))
_DUMMY = HASHER.hash("dummy password for timing only")


class WeakPassword(Unprocessable):
    code, title = "weak_password", "Weak password"


def check_policy(password: str, field: str = "password") -> None:
    classes = sum(1 for pattern in _CLASSES if pattern.search(password))
    if len(password) < MIN_LENGTH or classes < 3:
        raise WeakPassword(
            f"Passwords need at least {MIN_LENGTH} characters and three of: lower case,"
            " upper case, digits, symbols",
            errors=[{"field": field, "message": "too weak"}],
        )


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password``; with no stored hash, spend the same time on a dummy."""
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
