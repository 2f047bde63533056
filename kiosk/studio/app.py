"""The studio's web application: what every page shares, the guards, and the route table.

Each route is a thin function in :mod:`kiosk.studio.pages`, :mod:`~kiosk.studio.pages_media` or
:mod:`~kiosk.studio.pages_publish` that calls the library (store, checker, renderer, media,
publish) and renders a server-side template; htmx swaps small fragments in place. Everything the
pages load (script, style, fonts) is served from the package: the studio works with the network
off.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from kiosk.studio import parts, words
from kiosk.studio.checks import Checker
from kiosk.studio.preview import Renderer
from kiosk.studio.security import ACCESS_COOKIE, TOKEN_HEADER, Guard, GuardMiddleware
from kiosk.studio.store import Store

HERE = Path(__file__).resolve().parent
FONTS = HERE.parent / "assets" / "fonts"
DEFAULT_UPLOAD_LIMIT = 2_000_000_000
LANG_COOKIE = "studio_lang"


@dataclass
class StudioConfig:
    """How one studio runs: its collection, settings, address and limits."""

    root: Path
    settings: parts.Settings
    port: int = 8765
    host: str = "127.0.0.1"
    media_dir: Path | None = None
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    access_token: str | None = None  # asked for when the studio listens beyond this machine
    extra_hosts: tuple[str, ...] = ()  # e.g. "testserver" for the test client
    probe_media: bool = True
    out_dirs: tuple[Path, ...] = ()  # where publish offers to write (besides removable drives)


@dataclass
class Studio:
    """The services behind the pages, built once per app."""

    config: StudioConfig
    store: Store
    checker: Checker
    renderer: Renderer
    guard: Guard
    templates: Jinja2Templates
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.store.root


def studio(request: Request) -> Studio:
    s: Studio = request.app.state.studio
    return s


def ui_lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    if lang in words.LANGUAGES:
        return lang
    accept = request.headers.get("accept-language", "")
    return "ru" if accept.lower().startswith("ru") else "en"


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page (or a fragment) with what every template needs: words, token, problems count."""
    s = studio(request)
    lang = ui_lang(request)
    values.update(
        request=request,
        ui=lang,
        _=words.for_lang(lang),
        csrf=s.guard.csrf_token,
        nav=values.get("nav", ""),
    )
    return s.templates.TemplateResponse(request, template, values, status_code=status_code)


async def checked_form(request: Request) -> FormData:
    """The posted form, if it carries the page's token (header or field); else 403."""
    form = await request.form(max_files=0, max_fields=2000, max_part_size=4 * 1024 * 1024)
    token = request.headers.get(TOKEN_HEADER) or str(form.get("csrf") or "")
    if not studio(request).guard.token_ok(token):
        raise HTTPException(403, "Refused: the page's token is missing or old; reload the page.")
    return form


def check_header_token(request: Request) -> None:
    if not studio(request).guard.token_ok(request.headers.get(TOKEN_HEADER)):
        raise HTTPException(403, "Refused: the page's token is missing or old; reload the page.")


def form_dict(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def back(url: str, msg: str = "") -> RedirectResponse:
    """Back to ``url`` (which may end in a ``#place``) with the flash message ``msg``."""
    where, hash_, place = url.partition("#")
    if msg:
        where += f"{'&' if '?' in where else '?'}msg={msg}"
    return RedirectResponse(where + hash_ + place, status_code=303)


def _refuser(templates: Jinja2Templates) -> Callable[[int, str], Any]:
    def make(status: int, message: str) -> Any:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            if message == "login":
                response: Response = RedirectResponse("/login", status_code=303)
            else:
                response = PlainTextResponse(message, status_code=status)
            await response(scope, receive, send)

        return app

    return make


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render(request, "error.html", status_code=exc.status_code, message=exc.detail)


async def login(request: Request) -> Response:
    s = studio(request)
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=5)
        given = str(form.get("token") or "").strip()
        if s.guard.access_token is not None and secrets.compare_digest(given, s.guard.access_token):
            session = secrets.token_urlsafe(24)
            s.guard.sessions.add(session)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(ACCESS_COOKIE, session, httponly=True, samesite="strict")
            return response
        return render(request, "login.html", status_code=401, wrong=True)
    return render(request, "login.html", wrong=False)


async def set_ui_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in words.LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=3600 * 24 * 365)
    return response


def allowed_hosts(config: StudioConfig) -> set[str]:
    port = config.port
    names = {"127.0.0.1", "localhost", "[::1]"}
    if config.host not in ("127.0.0.1", "localhost", "::1"):
        names.add(config.host if ":" not in config.host else f"[{config.host}]")
    hosts = {f"{n}:{port}" for n in names}
    if port == 80:
        hosts |= names
    return hosts | set(config.extra_hosts)


def _relative(root: Path, path: Any) -> str:
    """A problem's file as the curator knows it: inside the collection folder."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return str(path)


def create_app(config: StudioConfig) -> Starlette:
    """The studio for one collection folder."""
    from kiosk.studio import pages, pages_media, pages_publish

    store = Store(config.root)
    renderer = Renderer(store.root, config.settings)
    checker = Checker(store.root, config.settings, renderer.run, media=config.probe_media)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["rel"] = lambda p: _relative(store.root, p)
    guard = Guard(allowed_hosts(config), secrets.token_urlsafe(32), config.access_token)
    the_studio = Studio(config, store, checker, renderer, guard, templates)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        renderer.close()

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/ui/{lang}", set_ui_lang),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        Mount("/fonts", StaticFiles(directory=str(FONTS)), name="fonts"),
        *pages.routes(),
        *pages_media.routes(),
        *pages_publish.routes(),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: _http_error
    }
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.state.studio = the_studio
    app.add_middleware(GuardMiddleware, guard=guard, refuse=_refuser(templates))
    return app
