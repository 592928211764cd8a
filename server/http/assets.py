"""Files served as they are: our own static folders and the packages ``npm ci`` installed.

The browser packages (socket.io-client for the dashboard, swagger-ui-dist for ``/docs``)
are listed in ``server/dashboard/package.json`` and installed by ``make js`` into
``node_modules`` (``BOOKING_NODE_MODULES`` names another place). Nothing third-party is
committed. When a folder is missing the server still starts; its files answer
``503 unavailable`` naming the command that installs them.
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from server import errors

INSTALL_HINT = "run `make js` (npm ci) in the checkout, or set BOOKING_NODE_MODULES"


def package_dir(node_modules: Path, package: str, subdir: str = "") -> Path:
    """Where ``npm ci`` puts ``package`` (and a folder of it)."""
    return node_modules / package / subdir if subdir else node_modules / package


def missing_message(package: str) -> str:
    return f"The browser package {package!r} is not installed: {INSTALL_HINT}"


class StaticFolder:
    """``StaticFiles`` over ``directory`` once it exists; until then 503 with ``missing``."""

    def __init__(self, directory: Path, missing: str) -> None:
        self.directory = directory
        self.missing = missing
        self._files: StaticFiles | None = None

    @property
    def available(self) -> bool:
        return self.directory.is_dir()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._files is None:
            if not self.available:
                raise errors.Unavailable(self.missing)
            self._files = StaticFiles(directory=self.directory)
        await self._files(scope, receive, send)
