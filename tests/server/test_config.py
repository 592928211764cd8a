"""Settings from the environment: every bad value is one line naming the variable."""

from __future__ import annotations

import pytest

from server.config import ConfigError, Settings, load_settings
from tests.cli import run_serve

SECRET = "s" * 40

BAD = [
    ("BOOKING_POOL_MAX", "abc"),
    ("BOOKING_POOL_MAX", "0"),
    ("BOOKING_SIGNUP", "maybe"),
    ("BOOKING_DATABASE_URL", "mysql://x"),
    ("BOOKING_REDIS_URL", "http://x"),
    ("BOOKING_JWT_SECRET", "short"),
    ("BOOKING_RATE_LIMIT_WRITE", "lots"),
    ("BOOKING_RATE_LIMIT_LOGIN", "10/fortnight"),
    ("BOOKING_RATE_LIMIT_ENABLED", "nah"),
    ("BOOKING_ACCESS_TOKEN_TTL", "5"),
    ("BOOKING_LOG_LEVEL", "loud"),
    ("BOOKING_FOO", "1"),
]


def test_defaults_and_conversion() -> None:
    settings = load_settings(
        {
            "PATH": "/usr/bin",
            "BOOKING_POOL_MAX": "7",
            "BOOKING_SIGNUP": "closed",
            "BOOKING_RATE_LIMIT_ENABLED": "false",
            "BOOKING_HEARTBEAT_SECONDS": "2.5",
            "BOOKING_DATABASE_URL": "postgresql://db/booking",
            "BOOKING_JWT_SECRET": SECRET,
        }
    )
    assert settings.pool_max == 7
    assert settings.signup == "closed"
    assert settings.rate_limit_enabled is False
    assert settings.heartbeat_seconds == 2.5
    assert settings.require_database_url() == "postgresql://db/booking"
    assert settings.require_jwt_secret() == SECRET
    assert load_settings({}) == Settings()


def test_overrides_are_checked_like_the_environment() -> None:
    assert load_settings({"BOOKING_POOL_MAX": "7"}, pool_max=9).pool_max == 9
    with pytest.raises(ConfigError, match=r"^BOOKING_POOL_MAX: "):
        load_settings({}, pool_max="abc")


def test_test_suite_settings_are_ignored() -> None:
    environ = {
        "BOOKING_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1/postgres",
        "BOOKING_TEST_REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    assert load_settings(environ) == Settings()


def test_an_empty_optional_setting_is_unset() -> None:
    # What compose writes for ``${BOOKING_PLATFORM_TOKEN:-}`` when the shell has none.
    environ = {"BOOKING_PLATFORM_TOKEN": "", "BOOKING_JWT_SECRET": "", "BOOKING_SMTP_URL": ""}
    assert load_settings(environ) == Settings()
    with pytest.raises(ConfigError, match=r"^BOOKING_POOL_MAX: "):
        load_settings({"BOOKING_POOL_MAX": ""})


@pytest.mark.parametrize(("name", "value"), BAD)
def test_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert message.startswith(name)
    assert "\n" not in message


def test_required_settings_name_the_variable() -> None:
    settings = load_settings({})
    for require, name in (
        (settings.require_database_url, "BOOKING_DATABASE_URL"),
        (settings.require_redis_url, "BOOKING_REDIS_URL"),
        (settings.require_jwt_secret, "BOOKING_JWT_SECRET"),
    ):
        with pytest.raises(ConfigError, match=f"^{name} is required"):
            require()


def test_pool_min_may_not_exceed_pool_max() -> None:
    with pytest.raises(ConfigError, match=r"^BOOKING_POOL_MIN: .*BOOKING_POOL_MAX"):
        load_settings({"BOOKING_POOL_MIN": "30", "BOOKING_POOL_MAX": "20"})


@pytest.mark.parametrize("rate", ["5 / 2 hours", "10/month", "1 per day", "600/minute"])
def test_a_rate_is_what_the_limits_library_reads(rate: str) -> None:
    assert load_settings({"BOOKING_RATE_LIMIT_WRITE": rate}).rate_limit_write == rate


@pytest.mark.parametrize("rate", ["5/minute;x", "10/minute, 5/second", "0/minute", "often"])
def test_a_rate_is_one_positive_limit(rate: str) -> None:
    with pytest.raises(ConfigError, match=r"^BOOKING_RATE_LIMIT_WRITE: expected one"):
        load_settings({"BOOKING_RATE_LIMIT_WRITE": rate})


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("BOOKING_JWT_SECRET", "hunter2-hunter2", "hunter2"),
        ("BOOKING_PLATFORM_TOKEN", "tok-hunter2", "hunter2"),
        ("BOOKING_DATABASE_URL", "mysql://app:hunter2@db/booking", "hunter2"),
        ("BOOKING_REDIS_URL", "http://:hunter2@cache", "hunter2"),
    ],
)
def test_secrets_stay_out_of_messages(name: str, value: str, secret: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}") as caught:
        load_settings({name: value})
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOOKING_POOL_MAX", "abc"),
        ("BOOKING_SIGNUP", "maybe"),
        ("BOOKING_DATABASE_URL", "mysql://x"),
        ("BOOKING_JWT_SECRET", "short"),
        ("BOOKING_RATE_LIMIT_WRITE", "lots"),
        ("BOOKING_FOO", "1"),
    ],
)
def test_serve_with_a_bad_value_exits_with_one_line(name: str, value: str) -> None:
    # Unreachable but well-formed services: the bad setting must be reported first.
    settings = {
        "BOOKING_DATABASE_URL": "postgresql://127.0.0.1:1/none",
        "BOOKING_REDIS_URL": "redis://127.0.0.1:1/0",
        "BOOKING_JWT_SECRET": SECRET,
        name: value,
    }
    result = run_serve(**settings)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    if name == "BOOKING_JWT_SECRET":
        assert value not in lines[0]


def test_serve_without_a_reachable_database_exits_with_one_line() -> None:
    result = run_serve(
        BOOKING_DATABASE_URL="postgresql://127.0.0.1:1/none",
        BOOKING_REDIS_URL="redis://127.0.0.1:1/0",
        BOOKING_JWT_SECRET=SECRET,
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_hardened_defaults() -> None:
    defaults = Settings()
    assert defaults.signup == "closed"
    assert "*" not in defaults.forwarded_allow_ips
    assert defaults.redis_timeout <= 0.5
    settings = load_settings(
        {
            "BOOKING_FORWARDED_ALLOW_IPS": "10.0.0.0/8, 172.30.0.10",
            "BOOKING_RATE_LIMIT_SIGNUP": "3/hour",
            "BOOKING_RATE_LIMIT_REFRESH": "30/minute",
        }
    )
    assert settings.forwarded_allow_ips == "10.0.0.0/8, 172.30.0.10"
    for name in ("BOOKING_RATE_LIMIT_SIGNUP", "BOOKING_RATE_LIMIT_REFRESH"):
        with pytest.raises(ConfigError, match=f"^{name}"):
            load_settings({name: "often"})
