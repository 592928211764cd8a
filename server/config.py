"""Settings, read once from ``BOOKING_*`` environment variables and passed explicitly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import limits
import msgspec

PREFIX = "BOOKING_"
# Read by the test suite only (tests/conftest.py); the server ignores them, so exporting
# them in a shell that also runs ``python -m server`` is fine.
TEST_PREFIX = "BOOKING_TEST_"
DEFAULT_NODE_MODULES = Path(__file__).resolve().parent / "dashboard" / "node_modules"
# Never echoed in an error message: it ends up in logs.
_SECRETS = frozenset({"jwt_secret", "platform_token", "demo_password", "metrics_token"})


class ConfigError(Exception):
    """A bad setting; the message is one line naming the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    database_url: str | None = None
    # For `migrate` only: the user and password of this URL become a login role holding
    # only booking_app's rights; web and worker then use it as their DATABASE_URL.
    app_login_url: str | None = None
    redis_url: str | None = None
    jwt_secret: Annotated[str, msgspec.Meta(min_length=32)] | None = None
    jwt_issuer: str = "booking-server"
    jwt_audience: str = "booking-api"
    access_token_ttl: Annotated[int, msgspec.Meta(ge=30, le=86_400)] = 900
    refresh_token_ttl: Annotated[int, msgspec.Meta(ge=60)] = 30 * 86_400
    refresh_reuse_grace: Annotated[float, msgspec.Meta(ge=0, le=60)] = 5.0
    signup: Literal["open", "closed"] = "closed"
    platform_token: Annotated[str, msgspec.Meta(min_length=16)] | None = None
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 1_048_576
    rate_limit_login: str = "10/minute"
    rate_limit_login_ip: str = "60/minute"
    rate_limit_signup: str = "10/hour"
    rate_limit_refresh: str = "120/minute"
    rate_limit_password_reset: str = "5/hour"
    rate_limit_write: str = "600/minute"
    rate_limit_read: str = "6000/minute"
    rate_limit_enabled: bool = True
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (comma-separated
    # addresses or networks); the client address rate limits key on comes from them.
    forwarded_allow_ips: str = "127.0.0.1"
    # Socket and connect timeout of every Redis call a request waits for, in seconds.
    redis_timeout: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.25
    pool_min: Annotated[int, msgspec.Meta(ge=1)] = 2
    pool_max: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20
    # Longest wait for a pooled connection before answering 503 with Retry-After.
    pool_acquire_timeout: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    # How long a user's "tokens valid after" time stays cached in Redis.
    revocation_cache_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 30
    event_retention_days: Annotated[int, msgspec.Meta(ge=7)] = 7
    sync_max_events: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1000
    heartbeat_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0
    relay_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.25
    sweep_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 5
    smtp_url: str | None = None
    mail_from: str = "booking@localhost"
    public_url: str | None = None
    webhook_allow_private: bool = False
    webhook_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 10.0
    webhook_retry_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    webhook_retry_max_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 3600.0
    webhook_give_up_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    webhook_concurrency: Annotated[int, msgspec.Meta(ge=1, le=200)] = 8
    dispatch_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.1
    cors_origins: str = "*"
    socket_max_message_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 65_536
    socket_compression: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # json: one object a line with request_id, tenant and user (for log shippers).
    log_format: Literal["text", "json"] = "text"
    # /metrics: on the main port, open or behind `Authorization: Bearer <token>`; or, with
    # a port, only there (the main port answers 404), for a private network.
    metrics_token: Annotated[str, msgspec.Meta(min_length=16)] | None = None
    metrics_port: Annotated[int, msgspec.Meta(ge=1, le=65_535)] | None = None
    metrics_host: str = "127.0.0.1"
    demo_password: str | None = None
    # The solver: seconds per solve (past it, the best found is returned, not proven
    # optimal), worker processes solving at once, and CP-SAT search threads per solve.
    solver_time_limit: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0
    solver_processes: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    solver_workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    solver_warm_up: bool = True  # start the solver processes with the server
    # Where `npm ci` put the browser packages (/app/ and /docs); default: the checkout's.
    node_modules: str | None = None

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError(f"{PREFIX}DATABASE_URL is required (e.g. postgresql://host/db)")
        return self.database_url

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise ConfigError(f"{PREFIX}REDIS_URL is required (e.g. redis://127.0.0.1:6379/0)")
        return self.redis_url

    def cors_origin_list(self) -> list[str]:
        """``["*"]`` or the comma-separated origins of ``BOOKING_CORS_ORIGINS``."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def node_modules_dir(self) -> Path:
        """``BOOKING_NODE_MODULES``, else ``node_modules`` beside ``package.json``."""
        return Path(self.node_modules) if self.node_modules else DEFAULT_NODE_MODULES

    def require_jwt_secret(self) -> str:
        if not self.jwt_secret:
            raise ConfigError(f"{PREFIX}JWT_SECRET is required (at least 32 characters)")
        return self.jwt_secret


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings)}
RATE_LIMITS = tuple(n for n in _FIELDS if n.startswith("rate_limit_") and n != "rate_limit_enabled")


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build Settings from ``environ``; a bad value raises ConfigError naming the variable."""
    raw: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(PREFIX) or key.startswith(TEST_PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        if name not in _FIELDS:
            raise ConfigError(f"{key} is not a known setting")
        if value == "" and _FIELDS[name].default is None:
            # ``KEY=`` (as compose's ``${KEY:-}`` writes it) leaves an optional setting unset.
            continue
        raw[name] = value
    raw.update(overrides)
    for name, value in raw.items():
        try:
            msgspec.convert({name: value}, Settings, strict=False)
        except msgspec.ValidationError as exc:
            raise ConfigError(
                f"{PREFIX}{name.upper()}: {_reason(exc)}{_shown(name, value)}"
            ) from None
    settings = msgspec.convert(raw, Settings, strict=False)
    _check_urls(settings)
    if settings.pool_min > settings.pool_max:
        raise ConfigError(
            f"{PREFIX}POOL_MIN: must not exceed {PREFIX}POOL_MAX"
            f" ({settings.pool_min} > {settings.pool_max})"
        )
    for name in RATE_LIMITS:
        if not _one_rate(getattr(settings, name)):
            raise ConfigError(
                f"{PREFIX}{name.upper()}: expected one '<count>/<period>' such as '10/minute'"
                " or '5000/month'"
            )
    return settings


def _one_rate(text: str) -> bool:
    """One limit as the ``limits`` library reads it (the reader of these settings)."""
    try:
        items = limits.parse_many(text)
    except ValueError:
        return False
    return len(items) == 1 and items[0].amount >= 1


def _reason(exc: msgspec.ValidationError) -> str:
    message = str(exc)
    return message.split(" - at ")[0]


def _shown(name: str, value: Any) -> str:
    """The rejected value for a message, without secrets or URL passwords."""
    if name in _SECRETS:
        return ""
    if isinstance(value, str) and name.endswith("_url"):
        value = re.sub(r"(://[^/@:]*:)[^/]*@", r"\1***@", value)
    return f" (got {value!r})"


def _check_urls(settings: Settings) -> None:
    checks = {
        "database_url": ("postgres://", "postgresql://"),
        "app_login_url": ("postgres://", "postgresql://"),
        "redis_url": ("redis://", "rediss://", "unix://"),
        "smtp_url": ("smtp://", "smtps://"),
        "public_url": ("http://", "https://"),
    }
    for name, schemes in checks.items():
        value = getattr(settings, name)
        if value is not None and not value.startswith(schemes):
            raise ConfigError(
                f"{PREFIX}{name.upper()}: must start with {' or '.join(schemes)}"
                f"{_shown(name, value)}"
            )
