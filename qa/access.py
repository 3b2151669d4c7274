"""Decide who may change the corpus: the admin password, or loopback when none is set.

Every Gradio event is also an HTTP endpoint, so the app calls `check` inside each handler
that changes the corpus, not only by hiding buttons. Wrong passwords are slowed down: after
FREE_FAILURES in a row, each further attempt must wait twice as long as the one before,
up to MAX_LOCKOUT seconds, whatever the password.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from qa.errors import QAError

FREE_FAILURES = 5
MAX_LOCKOUT = 300.0


class AccessDenied(QAError):
    """A corpus change refused; the message says what would allow it."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AdminGate:
    """Holds the password and the failure count; one per running app, safe across threads."""

    def __init__(
        self, password: str | None, server_host: Callable[[], str | None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`server_host` tells the address the server listens on, known only once it runs."""
        self._password = password or None
        self._server_host = server_host
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._locked_until = 0.0

    @property
    def needs_password(self) -> bool:
        return self._password is not None

    def check(self, password: str | None, client_host: str | None) -> None:
        """Return if the change is allowed; raise AccessDenied saying why not."""
        if self._password is None:
            if is_loopback(self._server_host()) and is_loopback(client_host):
                return
            raise AccessDenied(
                "changing the corpus is allowed only from this machine; set QA_ADMIN_PASSWORD to allow it remotely"
            )
        with self._lock:
            wait = self._locked_until - self._clock()
            if wait > 0:
                raise AccessDenied(f"too many wrong passwords; try again in {wait:.0f} s")
            given = password if isinstance(password, str) else ""
            if hmac.compare_digest(given.encode(), self._password.encode()):
                self._failures = 0
                return
            self._failures += 1
            if self._failures >= FREE_FAILURES:
                delay = min(2.0 ** (self._failures - FREE_FAILURES + 1), MAX_LOCKOUT)
                self._locked_until = self._clock() + delay
        raise AccessDenied("wrong admin password")


class OriginGuard:
    """ASGI middleware that refuses browser requests sent from another site's page.

    Gradio answers such requests and only leaves out the CORS header, so a page elsewhere
    could still post to an endpoint that changes the corpus (cross-site request forgery).
    A request whose Origin differs from the Host it was sent to gets 403. Clients that send
    no Origin (gradio_client, curl) are not browsers acting for another site, and pass.
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] in ("http", "websocket") and not same_origin(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b"cross-origin request refused"
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def same_origin(scope: dict[str, Any]) -> bool:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
