"""The studio's guards: its own Host only, no cross-site writes, an access token off localhost,
every path inside the collection, clean upload names.

The studio edits files on the curator's machine, so a web page elsewhere must not be able to
drive it: DNS rebinding is stopped by refusing any Host header but the studio's own; a cross-site
form post is stopped by the Origin check and by a token every page carries (the browser's
same-origin rule keeps other sites from reading it). When the studio listens beyond 127.0.0.1
(``--host``), a one-time access token printed in the terminal is asked for once and kept in a
cookie.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ACCESS_COOKIE = "studio_access"
TOKEN_HEADER = "x-studio-token"
# Paths that must work before the access token is given: the page asking for it and its style.
OPEN_PATHS = ("/login", "/static/")


class PathRefused(ValueError):
    """A path that would leave its folder (``..``, an absolute path, a link pointing out)."""


def inside(root: Path, rel: str) -> Path:
    """``root/rel`` resolved, if it stays inside ``root`` (links followed); else PathRefused."""
    if not rel or "\x00" in rel:
        raise PathRefused("an empty or invalid path")
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise PathRefused(f"'{rel}' leaves the collection folder; give a path inside it")
    base = Path(root).resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise PathRefused(f"'{rel}' points outside the collection folder (a link?)")
    return target


_NAME_CHARS = re.compile(r"[^\w.-]+", re.UNICODE)


def clean_name(name: str) -> str:
    """A file name safe to write: refuses folders and climbing out, tidies the rest.

    ``Портрет Дежнёва (1).PNG`` becomes ``Портрет-Дежнёва-1.png``. A name with a folder in it
    (``../x``, ``a/b``) is refused, not silently cut: the curator should know.
    """
    name = unicodedata.normalize("NFC", name.strip())
    if "/" in name or "\\" in name or name in {".", ".."} or "\x00" in name:
        raise PathRefused(f"the file name '{name}' names a folder; give a plain file name")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = _NAME_CHARS.sub("-", stem).strip("-.")
    ext = _NAME_CHARS.sub("", ext).lower()
    if not stem:
        raise PathRefused(f"the file name '{name}' has no usable letters")
    cleaned = f"{stem}.{ext}" if ext else stem
    return cleaned[:120]


@dataclass
class Guard:
    """What the middleware checks against: the studio's own origins and its secrets."""

    hosts: set[str]
    csrf_token: str
    access_token: str | None = None
    sessions: set[str] = field(default_factory=set)

    def host_ok(self, host: str) -> bool:
        return host.lower() in self.hosts

    def origin_ok(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() in self.hosts

    def token_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token)

    def session_ok(self, cookie: str | None) -> bool:
        if self.access_token is None:
            return True
        return cookie is not None and any(hmac.compare_digest(cookie, s) for s in self.sessions)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class GuardMiddleware:
    """Refuses foreign Host headers, cross-site writes and (off localhost) unknown browsers.

    The token check of a write is finished by the route (it may come in the form body); here a
    write must at least come from the studio's own origin.
    """

    def __init__(self, app: ASGIApp, guard: Guard, refuse: Callable[[int, str], ASGIApp]) -> None:
        self.app = app
        self.guard = guard
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self.guard.host_ok(host):
            message = (
                f"This studio answers only at its own address, not at '{host}'. "
                "Open the address the studio printed when it started."
            )
            await self.refuse(400, message)(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE_METHODS:
            origin = headers.get("origin") or headers.get("referer")
            if not origin or not self.guard.origin_ok(origin):
                message = (
                    "Refused: this change did not come from a studio page "
                    f"(origin '{origin or 'none'}'). Make changes in the studio itself."
                )
                await self.refuse(403, message)(scope, receive, send)
                return
        path = scope.get("path", "")
        if not path.startswith(OPEN_PATHS) and not self.guard.session_ok(
            _cookie(headers, ACCESS_COOKIE)
        ):
            await self.refuse(401, "login")(scope, receive, send)
            return
        await self.app(scope, receive, send)
