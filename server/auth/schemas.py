from __future__ import annotations

from typing import Literal

from server.schemas import Out


class TokenPair(Out):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"
