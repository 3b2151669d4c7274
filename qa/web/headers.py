"""Security headers on every response, and a script policy that only Gradio's own page passes.

Article text is escaped before it reaches the page (qa.present), and this is the second
wall: a Content-Security-Policy without 'unsafe-inline' for scripts, so an `onerror=` or
`<script>` that got through would not run, and no image from another site is fetched
(which would tell that site who reads what). Gradio's page has inline scripts of its own
(its config, its theme switch), and they change with the page, so the middleware hashes
the ones in the page it serves at the app's root and allows exactly those
(CSP Level 2 hash sources, https://www.w3.org/TR/CSP2/#script-src-hash-usage). Any other
HTML, such as an uploaded article served back as a file, gets no hashes: its scripts are
refused. Gradio evaluates the page's `js=` code with `new Function`, hence 'unsafe-eval';
that runs only code the page already has, never markup.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
STATIC = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def policy(page: bytes | None = None) -> bytes:
    """The policy, allowing the inline scripts of `page` (Gradio's own) if given."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page or b"")
    )
    return POLICY.format(hashes=hashes).encode()


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response.

    The app's page is held until it is whole (about 6 kB) so its scripts can be hashed;
    every other response, streams included, passes through as it comes."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_page = scope.get("path") in ("/", scope.get("root_path", "") + "/")
        held: dict[str, Any] = {}
        body: list[bytes] = []

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                message = {**message, "headers": headers + list(STATIC)}
                if is_page and _is_plain_html(headers):
                    held["start"] = message
                    return
                message["headers"].append((b"content-security-policy", policy()))
                await send(message)
                return
            if "start" not in held:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            start = held.pop("start")
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers += [(b"content-length", str(len(page)).encode()), (b"content-security-policy", policy(page))]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, sending)


_OURS = {b"content-security-policy", *(name for name, _ in STATIC)}


def _is_plain_html(headers: list[tuple[bytes, bytes]]) -> bool:
    """HTML that is not compressed (a compressed page could not be read for its scripts)."""
    found = {k.lower(): v.lower() for k, v in headers}
    return found.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in found
