"""Pages of the collection and its explorers: list, add, reorder, delete, edit, history, raw text.

Each route reads the files through the store, applies the form through :mod:`kiosk.studio.forms`
and saves with the version the page showed; the validator's verdict is shown, never enforced
(saving with errors is allowed; publishing is not).
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.content import words as kiosk_words
from kiosk.studio import parts
from kiosk.studio.app import back, checked_form, form_dict, render, studio
from kiosk.studio.forms import apply_explorer, apply_words
from kiosk.studio.store import BrokenFile, ChangedElsewhere, Doc, Store
from kiosk.studio.views import (
    Catalog,
    ExplorerForm,
    WordsForm,
    explorer_form,
    problems_for,
    words_form,
)


def catalog(request: Request) -> Catalog:
    s = studio(request)
    found = s.notes.get("catalog")
    if not isinstance(found, Catalog):
        found = Catalog(s.root)
        s.notes["catalog"] = found
    return found


def explorer_path(request: Request, slug: str) -> Path:
    if not parts.SLUG_RE.match(slug):
        raise HTTPException(404, f"No explorer '{slug}'.")
    path = studio(request).store.explorer_file(slug)
    if not path.is_file():
        raise HTTPException(404, f"No explorer '{slug}'.")
    return path


def load_explorer(request: Request, slug: str) -> Doc:
    return studio(request).store.load(explorer_path(request, slug))


def broken_page(request: Request, slug: str, exc: BrokenFile, status: int = 200) -> Response:
    rel = Path(exc.problem.path).resolve().relative_to(studio(request).root).as_posix()
    return render(
        request,
        "broken.html",
        status_code=status,
        slug=slug,
        problem=f"{rel}:{exc.problem.line}: {exc.problem.message}",
        line=exc.problem.line,
        text=exc.text,
        version=studio(request).store.version(explorer_path(request, slug)),
    )


# -- the collection ----------------------------------------------------------------------------
async def index(request: Request) -> Response:
    s = studio(request)
    cat = catalog(request)
    report = s.checker.report()
    errors = s.checker.explorers_with_errors()
    lang = request.cookies.get("studio_content_lang") or cat.languages()[1]
    return render(
        request,
        "index.html",
        nav="collection",
        cards=cat.cards(lang, errors),
        report=report,
        languages=cat.languages()[0],
        words=_words_view(request),
        msg=request.query_params.get("msg", ""),
    )


def _words_view(request: Request) -> WordsForm | None:
    """The words editor, or None while collection.yaml cannot be read (the problems say why)."""
    s = studio(request)
    try:
        doc = s.store.load(s.store.path("collection.yaml"))
    except BrokenFile:
        return None
    languages, default = catalog(request).languages()
    return words_form(doc, languages, default)


async def save_words(request: Request) -> Response:
    """The kiosk's own words in collection.yaml: only the words changed are written."""
    s = studio(request)
    form = form_dict(await checked_form(request))
    path = s.store.path("collection.yaml")
    try:
        doc = s.store.load(path)
    except BrokenFile as exc:
        raise HTTPException(409, str(exc)) from None
    if form.get("version") != doc.version:
        return changed_elsewhere(request, "/#words")
    languages, _ = catalog(request).languages()
    try:
        apply_words(doc.data, form, languages, kiosk_words.KEYS)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        s.store.save_doc(doc)
    except ChangedElsewhere:
        return changed_elsewhere(request, "/#words")
    return back("/#words", "saved")


def new_explorer_text(slug: str, names: dict[str, str], languages: tuple[str, ...]) -> str:
    """A new explorer.yaml from the template: every field there, in every language."""

    def flow(values: dict[str, str]) -> str:
        inner = ", ".join(
            f"{lang}: {json.dumps(values.get(lang, ''), ensure_ascii=False)}" for lang in languages
        )
        return "{" + inner + "}"

    empty = dict.fromkeys(languages, "")
    body = "\n".join(f"  {lang}: |\n    …" for lang in languages)
    return (
        f"# {slug}: made in the studio. Every field can be edited there.\n"
        f"name: {flow(names)}\n"
        f'born: "c. 1700"\n'
        f"summary: {flow(empty)}\n"
        f"body:\n{body}\n"
        f"facts: []\n"
        f"route: []\n"
        f"segments: []\n"
        f"sources: []\n"
    )


async def add_explorer(request: Request) -> Response:
    s = studio(request)
    form = form_dict(await checked_form(request))
    slug = form.get("slug", "").strip().lower()
    if not parts.SLUG_RE.match(slug):
        raise HTTPException(
            400, f"'{slug}' cannot be a folder name: use latin letters, digits and '-'."
        )
    folder = s.store.path(f"explorers/{slug}")
    if folder.exists():
        raise HTTPException(409, f"An explorer '{slug}' already exists.")
    languages, _ = catalog(request).languages()
    names = {lang: form.get(f"name.{lang}", "").strip() for lang in languages}
    folder.mkdir(parents=True)
    s.store.write(folder / "explorer.yaml", new_explorer_text(slug, names, languages).encode())
    return back(f"/explorers/{slug}", "added")


async def move_explorer(request: Request) -> Response:
    """Up or down in the gallery: writes ``order`` 1..n to the explorers whose place changed."""
    s = studio(request)
    form = form_dict(await checked_form(request))
    slug = request.path_params["slug"]
    cards = catalog(request).cards("en", {})
    slugs = [c.slug for c in cards]
    if slug not in slugs:
        raise HTTPException(404, f"No explorer '{slug}'.")
    i = slugs.index(slug)
    j = i - 1 if form.get("dir") == "up" else i + 1
    if 0 <= j < len(slugs):
        slugs[i], slugs[j] = slugs[j], slugs[i]
    for n, (name, card) in enumerate(zip(slugs, cards, strict=True), 1):
        if card.slug == name and card.order == n:
            continue
        try:
            doc = load_explorer(request, name)
        except BrokenFile:
            continue
        if isinstance(doc.data, CommentedMap) and doc.data.get("order") != n:
            doc.data["order"] = n
            s.store.save_doc(doc)
    return back("/", "moved")


async def delete_explorer(request: Request) -> Response:
    s = studio(request)
    slug = request.path_params["slug"]
    path = explorer_path(request, slug)
    if request.method == "GET":
        return render(request, "delete.html", nav="collection", slug=slug)
    form = form_dict(await checked_form(request))
    if form.get("confirm") != slug:
        raise HTTPException(400, "Not deleted: type the explorer's folder name to confirm.")
    # Kept in the studio's trash (never packed), not destroyed: a mistake can be undone by hand.
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    trash = s.store.state / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path.parent), str(trash / f"{slug}-{stamp}"))
    _drop_attract(s.store, slug)
    return back("/", "deleted")


def _drop_attract(store: Store, slug: str) -> None:
    """The attract montage must not name the clips of an explorer that is gone."""
    cpath = store.path("collection.yaml")
    try:
        doc = store.load(cpath)
    except BrokenFile:
        return
    attract = doc.data.get("attract") if isinstance(doc.data, CommentedMap) else None
    if attract:
        for i in reversed(range(len(attract))):
            if str(attract[i]).startswith(f"{slug}/"):
                del attract[i]
        store.save_doc(doc)


# -- one explorer ---------------------------------------------------------------------------
def _form_view(request: Request, slug: str, doc: Doc) -> ExplorerForm:
    s = studio(request)
    languages, default = catalog(request).languages()
    problems = problems_for(s.checker, doc.path, doc.data, s.root)
    return explorer_form(doc, slug, languages, default, problems)


async def edit_explorer(request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        doc = load_explorer(request, slug)
    except BrokenFile as exc:
        return broken_page(request, slug, exc)
    return render(
        request,
        "explorer.html",
        nav="texts",
        slug=slug,
        f=_form_view(request, slug, doc),
        msg=request.query_params.get("msg", ""),
    )


async def save_explorer(request: Request) -> Response:
    s = studio(request)
    slug = request.path_params["slug"]
    form = form_dict(await checked_form(request))
    try:
        doc = load_explorer(request, slug)
    except BrokenFile as exc:
        return broken_page(request, slug, exc, status=409)
    if form.get("version") != doc.version:
        return changed_elsewhere(request, f"/explorers/{slug}")
    languages, default = catalog(request).languages()
    apply_explorer(doc.data, form, languages, default)
    try:
        s.store.save_doc(doc)
    except ChangedElsewhere:
        return changed_elsewhere(request, f"/explorers/{slug}")
    return back(f"/explorers/{slug}", "saved")


def changed_elsewhere(request: Request, link: str) -> Response:
    """The refusal when the file changed since the page was opened: nothing was written; the
    curator opens ``link`` again (the page as the file is now) and makes the changes once more."""
    return render(
        request,
        "error.html",
        status_code=409,
        message_key="changed_elsewhere",
        link=link,
    )


async def save_raw(request: Request) -> Response:
    """The file's text as typed (for a file the form cannot show): written only if it reads."""
    s = studio(request)
    slug = request.path_params["slug"]
    path = explorer_path(request, slug)
    form = form_dict(await checked_form(request))
    text = form.get("text", "").replace("\r\n", "\n")
    try:
        parts_ok = s.store.load_text(path, text)
    except BrokenFile as exc:
        exc.text = text
        return broken_page(request, slug, exc, status=400)
    del parts_ok
    try:
        s.store.write(path, text.encode("utf-8"), expect=form.get("version"))
    except ChangedElsewhere:
        return changed_elsewhere(request, f"/explorers/{slug}")
    return back(f"/explorers/{slug}", "saved")


async def history(request: Request) -> Response:
    s = studio(request)
    slug = request.path_params["slug"]
    path = explorer_path(request, slug)
    shown = request.query_params.get("show", "")
    text = ""
    if shown:
        try:
            text = s.store.saved_bytes(path, shown).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            raise HTTPException(404, "No such saved version.") from None
    return render(
        request,
        "history.html",
        nav="history",
        slug=slug,
        saves=s.store.history(path),
        shown=shown,
        text=text,
        current=path.read_text(encoding="utf-8", errors="replace"),
        msg=request.query_params.get("msg", ""),
    )


async def restore(request: Request) -> Response:
    s = studio(request)
    slug = request.path_params["slug"]
    path = explorer_path(request, slug)
    form = form_dict(await checked_form(request))
    try:
        s.store.restore(path, form.get("name", ""))
    except (OSError, ValueError):
        raise HTTPException(404, "No such saved version.") from None
    return back(f"/explorers/{slug}/history", "restored")


def routes() -> list[Any]:
    return [
        Route("/", index),
        Route("/explorers", add_explorer, methods=["POST"]),
        Route("/explorers/{slug}", edit_explorer, methods=["GET"]),
        Route("/explorers/{slug}", save_explorer, methods=["POST"]),
        Route("/explorers/{slug}/move", move_explorer, methods=["POST"]),
        Route("/explorers/{slug}/delete", delete_explorer, methods=["GET", "POST"]),
        Route("/explorers/{slug}/raw", save_raw, methods=["POST"]),
        Route("/explorers/{slug}/history", history),
        Route("/explorers/{slug}/restore", restore, methods=["POST"]),
        Route("/languages", languages_page, methods=["GET"]),
        Route("/languages", add_language, methods=["POST"]),
        Route("/words", save_words, methods=["POST"]),
    ]


# -- languages -------------------------------------------------------------------------------
async def languages_page(request: Request) -> Response:
    languages, default = catalog(request).languages()
    return render(
        request,
        "languages.html",
        nav="languages",
        languages=languages,
        default=default,
        msg=request.query_params.get("msg", ""),
    )


async def add_language(request: Request) -> Response:
    """A new language in collection.yaml; every text then shows it as a missing translation."""
    s = studio(request)
    form = form_dict(await checked_form(request))
    code = form.get("code", "").strip()
    if not parts.LANG_RE.match(code):
        raise HTTPException(400, f"'{code}' is not a language code (ru, en, sah…).")
    doc = s.store.load(s.store.path("collection.yaml"))
    langs = doc.data.get("languages")
    if isinstance(langs, list) and code not in langs:
        langs.append(code)
        s.store.save_doc(doc)
    return back("/languages", "added")
