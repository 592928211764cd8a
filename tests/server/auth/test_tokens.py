"""Tampered, expired and incomplete access tokens are all 401 ``unauthorized``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from typing import Any

import httpx
import jwt
import msgspec
import pytest

from server.auth import tokens
from server.auth.tokens import issue_access_token
from server.config import Settings
from tests.factories import auth, signup


def _claims(settings: Settings, tenant_id: str, user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "tid": tenant_id,
        "role": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    for key, value in changes.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(alg: str, claims: dict[str, Any], signature: bytes | None, key: bytes = b"") -> str:
    """A JWS with any header ``alg``; signed with HMAC-SHA256 over ``key`` unless given."""
    signing_input = f"{_b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}."
    signing_input += _b64(json.dumps(claims).encode())
    if signature is None:
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def _assert_401(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/v1/me", headers=auth(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


async def test_valid_token_reads_me(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.get("/v1/me", headers=tenant.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == tenant.admin["id"]
    assert body["tenant"]["slug"] == tenant.slug


async def test_missing_or_malformed_header(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        response = await client.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    await _assert_401(client, "not-a-jwt")


async def test_alg_none(client: httpx.AsyncClient, settings: Settings) -> None:
    tenant = await signup(client)
    claims = _claims(settings, tenant.id, tenant.admin["id"])
    await _assert_401(client, _forge("none", claims, b""))
    await _assert_401(client, _forge("None", claims, b""))


async def test_wrong_key(client: httpx.AsyncClient, settings: Settings) -> None:
    tenant = await signup(client)
    claims = _claims(settings, tenant.id, tenant.admin["id"])
    await _assert_401(client, jwt.encode(claims, "x" * 48, algorithm="HS256"))


async def test_other_algorithms_and_confusion(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    claims = _claims(settings, tenant.id, tenant.admin["id"])
    secret = settings.require_jwt_secret().encode()
    # An RS256 header with a made-up signature, and one whose "RSA" signature is really an
    # HMAC with the server's secret (alg confusion): the algorithm is pinned to HS256.
    await _assert_401(client, _forge("RS256", claims, os.urandom(256)))
    await _assert_401(client, _forge("RS256", claims, None, key=secret))
    await _assert_401(client, _forge("ES256", claims, None, key=secret))
    await _assert_401(client, jwt.encode(claims, settings.require_jwt_secret(), "HS512"))
    # The control: the same forging with the right alg and key is accepted.
    response = await client.get("/v1/me", headers=auth(_forge("HS256", claims, None, secret)))
    assert response.status_code == 200


async def test_expired(client: httpx.AsyncClient, settings: Settings) -> None:
    tenant = await signup(client)
    token = issue_access_token(
        settings,
        user_id=uuid.UUID(tenant.admin["id"]),
        tenant_id=uuid.UUID(tenant.id),
        role="admin",
        now=time.time() - settings.access_token_ttl - 120,
    )
    await _assert_401(client, token)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"role": "owner"},
        {"sub": "not-a-uuid"},
        {"sub": None},
        {"tid": None},
        {"role": None},
        {"exp": None},
        {"iat": None},
        {"aud": None},
        {"iss": None},
    ],
)
async def test_bad_claims(
    client: httpx.AsyncClient, settings: Settings, changes: dict[str, Any]
) -> None:
    tenant = await signup(client)
    claims = _claims(settings, tenant.id, tenant.admin["id"], **changes)
    await _assert_401(client, jwt.encode(claims, settings.require_jwt_secret(), "HS256"))


def test_a_verified_token_is_kept_until_it_expires_and_the_memory_is_bounded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tokens._Verified(2)
    monkeypatch.setattr(tokens, "_verified", kept)
    user, tenant = uuid.uuid4(), uuid.uuid4()
    token = issue_access_token(settings, user_id=user, tenant_id=tenant, role="member")
    calls: list[str] = []
    verify = tokens._verify

    def counted(*args: Any) -> tokens.Claims:
        calls.append(args[-1])
        return verify(*args)

    monkeypatch.setattr(tokens, "_verify", counted)
    first = tokens.decode_access_token(settings, token)
    assert tokens.decode_access_token(settings, token) == first
    assert len(calls) == 1  # the second use did not verify again
    # Another secret is another key: verified (and refused) on its own.
    other = msgspec_replace(settings, jwt_secret="another-secret-" + "x" * 40)
    with pytest.raises(tokens.Unauthorized):
        tokens.decode_access_token(other, token)
    # Once its exp has come, the kept entry is dropped and the token verified again (where
    # PyJWT refuses it on its own clock).
    calls.clear()
    later = first.exp + 1
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    tokens.decode_access_token(settings, token)
    assert calls == [token]
    monkeypatch.undo()
    # Bounded: the least recently used entry goes first.
    kept = tokens._Verified(2)
    monkeypatch.setattr(tokens, "_verified", kept)
    made = [
        issue_access_token(settings, user_id=user, tenant_id=tenant, role="member")
        for _ in range(3)
    ]
    for one in made:
        tokens.decode_access_token(settings, one)
    assert [key[-1] for key in kept.entries] == made[1:]


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    return msgspec.structs.replace(settings, **changes)
