"""Test kit: helpers for the studio's tests (not shipped): a copy of the bundled collection, a
guarded test client, the page's token and the fields of its forms."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from kiosk.settings import Settings
from kiosk.studio.app import StudioConfig, create_app

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "content"
ORIGIN = "http://testserver"


def copy_collection(dst: Path) -> Path:
    """The bundled collection in ``dst`` (media linked by hard copy: tests may change files)."""
    shutil.copytree(BUNDLED, dst, ignore=shutil.ignore_patterns("build"))
    return dst


def client(root: Path, **config: Any) -> TestClient:
    config.setdefault("probe_media", False)
    app = create_app(StudioConfig(root, Settings(), extra_hosts=("testserver",), **config))
    return TestClient(app, headers={"Origin": ORIGIN})


def token(page: str) -> str:
    m = re.search(r'<meta name="csrf" content="([^"]+)"', page)
    assert m, "the page carries no token"
    return m.group(1)


class _Form(HTMLParser):
    """The fields of one form as a browser would post them (inputs and textareas)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        elif self.inside and tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self.fields[str(a["name"])] = a.get("value") or ""
        elif self.inside and tag == "textarea" and a.get("name"):
            self.textarea = str(a["name"])
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            # A browser drops the one newline right after <textarea>.
            value = self.fields[self.textarea] + data
            self.fields[self.textarea] = value


def form_fields(page: str, form_id: str) -> dict[str, str]:
    parser = _Form(form_id)
    parser.feed(page)
    fields = parser.fields
    for k, v in fields.items():
        if v.startswith("\n"):
            fields[k] = v[1:]
    return fields
