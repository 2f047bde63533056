"""Pages of media, segments and captions: files probed and explained, uploads, the scrubber's
frames, the waveform's peaks, segment cuts and the caption timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from kiosk.content.model import SLUG_RE
from kiosk.media.captions import Cue
from kiosk.studio import captions as capmod
from kiosk.studio import media
from kiosk.studio.app import back, check_header_token, checked_form, form_dict, render, studio
from kiosk.studio.forms import flow_map, set_text, text_value
from kiosk.studio.pages import catalog, changed_elsewhere, explorer_path, load_explorer
from kiosk.studio.security import PathRefused
from kiosk.studio.store import ChangedElsewhere


def _file(request: Request, rel: str) -> Path:
    try:
        path = studio(request).store.path(rel)
    except PathRefused as exc:
        raise HTTPException(400, str(exc)) from None
    if not path.is_file():
        raise HTTPException(404, f"No file '{rel}'.")
    return path


def clip_files(folder: Path) -> list[str]:
    """The video files a segment of the explorer in ``folder`` can name as its ``file`` (the
    loader takes only files inside the explorer's folder), relative to it."""
    return [
        p.relative_to(folder).as_posix()
        for p in _collection_files(folder)
        if media.kind_of(p) == "video"
    ]


def _collection_files(root: Path) -> list[Path]:
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if (
            p.is_file()
            and not any(x.startswith(".") for x in rel.parts)
            and rel.parts[0] != "build"
            and media.kind_of(p) in ("video", "image", "audio")
        ):
            out.append(p)
    return out


# -- media -----------------------------------------------------------------------------------
async def media_page(request: Request) -> Response:
    s = studio(request)
    rules = s.config.settings.validation

    def describe() -> list[media.Explained]:
        return [
            media.explain(p, p.relative_to(s.root).as_posix(), rules)
            for p in _collection_files(s.root)
        ]

    files = await run_in_threadpool(describe)
    folder = s.config.media_dir
    offered = []
    if folder is not None and folder.is_dir():
        offered = sorted(
            p.name
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in media.ALLOWED_EXT
        )
    dests = ["media", *(f"explorers/{x}/clips" for x in catalog(request).slugs())]
    dests += [f"explorers/{x}" for x in catalog(request).slugs()]
    return render(
        request,
        "media.html",
        nav="media",
        files=files,
        offered=offered,
        media_dir=folder,
        dests=dests,
        limit_mb=s.config.upload_limit / 1e6,
        reencode=media.REENCODE,
        msg=request.query_params.get("msg", ""),
    )


def _dest(request: Request, rel: str) -> Path:
    try:
        folder = studio(request).store.path(rel or "media")
    except PathRefused as exc:
        raise HTTPException(400, str(exc)) from None
    if folder.exists() and not folder.is_dir():
        raise HTTPException(400, f"'{rel}' is not a folder.")
    return folder


async def upload(request: Request) -> Response:
    """The file is the request's body (sent by the page's script), streamed to disk."""
    check_header_token(request)
    s = studio(request)
    q = request.query_params
    folder = _dest(request, q.get("dest", "media"))
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    try:
        target = await media.save_upload(
            request.stream(), folder, q.get("name", ""), s.config.upload_limit, declared
        )
    except (media.UploadRefused, PathRefused) as exc:
        status = 413 if "limit" in str(exc) else 400
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=status)
    rel = target.relative_to(s.root).as_posix()
    return JSONResponse({"ok": True, "path": rel})


async def import_file(request: Request) -> Response:
    s = studio(request)
    form = form_dict(await checked_form(request))
    folder = s.config.media_dir
    if folder is None:
        raise HTTPException(400, "no_media_dir")
    try:
        source = media.inside(folder, media.clean_name(form.get("name", "")))
    except PathRefused as exc:
        raise HTTPException(400, str(exc)) from None
    if not source.is_file():
        raise HTTPException(404, "No such file in the media folder.")

    async def chunks() -> Any:
        with source.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk

    try:
        await media.save_upload(
            chunks(),
            _dest(request, form.get("dest", "media")),
            source.name,
            s.config.upload_limit,
            source.stat().st_size,
        )
    except (media.UploadRefused, PathRefused) as exc:
        raise HTTPException(400, str(exc)) from None
    return back("/media", "imported")


async def media_file(request: Request) -> Response:
    return FileResponse(_file(request, request.path_params["path"]))


async def frame(request: Request) -> Response:
    q = request.query_params
    path = _file(request, q.get("file", ""))
    try:
        t = max(0.0, float(q.get("t", "0")))
        width = min(1280, max(64, int(q.get("w", "640"))))
    except ValueError:
        raise HTTPException(400, "t and w must be numbers.") from None
    s = studio(request)
    try:
        data, at = await run_in_threadpool(s.renderer.run, lambda: media.frame_jpeg(path, t, width))
    except Exception as exc:  # a file PyAV cannot decode: say so in the page, not a traceback
        raise HTTPException(422, f"No picture: {exc}") from None
    return Response(data, media_type="image/jpeg", headers={"X-Frame-Time": f"{at:.6f}"})


async def peaks(request: Request) -> Response:
    q = request.query_params
    path = _file(request, q.get("file", ""))
    try:
        start = float(q.get("start", "0"))
        end = float(q["end"]) if q.get("end") else None
        n = min(4000, max(10, int(q.get("n", "800"))))
    except ValueError:
        raise HTTPException(400, "start, end and n must be numbers.") from None
    values = await run_in_threadpool(media.peaks, path, start, end, n)
    return JSONResponse({"peaks": values})


# -- segments --------------------------------------------------------------------------------
def segment_rows(request: Request, data: Any) -> list[dict[str, Any]]:
    root = studio(request).root
    languages, _ = catalog(request).languages()
    masters = _masters(request)
    rows = []
    for i, seg in enumerate(data.get("segments") or []):
        if not isinstance(seg, dict):
            continue
        slug_dir = f"explorers/{request.path_params['slug']}"
        if seg.get("master"):
            rel = masters.get(str(seg["master"]), "")
        else:
            rel = f"{slug_dir}/{seg.get('file', '')}"
        rows.append(
            {
                "i": i,
                "id": str(seg.get("id", "")),
                "titles": {x: text_value(seg, "title", x) for x in languages},
                "master": seg.get("master") or "",
                "file": seg.get("file") or "",
                "in": seg.get("in", ""),
                "out": seg.get("out", ""),
                "video": rel if rel and (root / rel).is_file() else "",
                "captions": dict(seg.get("captions") or {}),
            }
        )
    return rows


def _masters(request: Request) -> dict[str, str]:
    s = studio(request)
    try:
        doc = s.store.load(s.store.path("collection.yaml"))
    except Exception:  # a broken collection.yaml: its own page says so
        return {}
    return {str(k): str(v) for k, v in (doc.data.get("masters") or {}).items()}


async def segments_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    doc = load_explorer(request, slug)
    rows = segment_rows(request, doc.data)
    chosen = request.query_params.get("seg") or (rows[0]["id"] if rows else "")
    current = next((r for r in rows if r["id"] == chosen), None)
    info = None
    if current and current["video"]:
        path = studio(request).store.path(current["video"])
        info = await run_in_threadpool(media.parts.quick_probe, path)
    languages, _ = catalog(request).languages()
    return render(
        request,
        "segments.html",
        nav="segments",
        slug=slug,
        rows=rows,
        current=current,
        info=info,
        version=doc.version,
        languages=languages,
        masters=_masters(request),
        clips=clip_files(doc.path.parent),
        msg=request.query_params.get("msg", ""),
    )


def _number(raw: str) -> float | int:
    value = float(capmod.parse_time(raw))
    return round(value, 3)


async def segments_save(request: Request) -> Response:
    s = studio(request)
    slug = request.path_params["slug"]
    form = form_dict(await checked_form(request))
    doc = load_explorer(request, slug)
    again = f"/explorers/{slug}/segments" + (f"?seg={form['seg']}" if form.get("seg") else "")
    if form.get("version") != doc.version:
        return changed_elsewhere(request, again)
    languages, default = catalog(request).languages()
    segs = doc.data.get("segments")
    if not isinstance(segs, CommentedSeq):
        segs = CommentedSeq()
        doc.data["segments"] = segs
    chosen = form.get("seg", "")
    if form.get("action") == "add":
        seg_id = form.get("new_id", "").strip()
        if not SLUG_RE.match(seg_id):
            raise HTTPException(400, f"'{seg_id}' cannot be a segment id: use a-z, 0-9 and '-'.")
        if any(isinstance(x, CommentedMap) and x.get("id") == seg_id for x in segs):
            raise HTTPException(400, f"There is a segment '{seg_id}' already.")
        master, clip = form.get("new_master", ""), form.get("new_file", "")
        if bool(master) == bool(clip):
            raise HTTPException(400, "Choose the master video or a clip file (one of the two).")
        if master and master not in _masters(request):
            raise HTTPException(400, f"No master video '{master}' in collection.yaml.")
        if clip and clip not in clip_files(doc.path.parent):
            raise HTTPException(400, f"No clip '{clip}' in this explorer's folder.")
        seg = CommentedMap()
        seg["id"] = seg_id
        seg["title"] = flow_map(
            **{x: DoubleQuotedScalarString(form.get(f"new_title.{x}", "")) for x in languages}
        )
        if master:
            seg["master"] = master
            seg["in"], seg["out"] = 0.0, 10.0
        else:
            seg["file"] = clip
        segs.append(seg)
        chosen = seg_id
    for i, seg in enumerate(segs):
        if not isinstance(seg, CommentedMap):
            continue
        for lang in languages:
            if f"s.{i}.title.{lang}" in form:
                set_text(seg, "title", lang, form[f"s.{i}.title.{lang}"], default)
        for key in ("in", "out"):
            raw = form.get(f"s.{i}.{key}", "").strip()
            if raw:
                try:
                    value = _number(raw)
                except ValueError:
                    raise HTTPException(
                        400, f"'{raw}' is not a time: write seconds (12.5) or 00:00:12.500"
                    ) from None
                if seg.get(key) != value:
                    seg[key] = value
    try:
        s.store.save_doc(doc)
    except ChangedElsewhere:
        return changed_elsewhere(request, again)
    return back(f"/explorers/{slug}/segments?seg={chosen}", "saved")


# -- captions --------------------------------------------------------------------------------
def _seg_len(request: Request, row: dict[str, Any]) -> float | None:
    if row["master"] and row["out"] != "":
        return float(row["out"]) - float(row["in"] or 0)
    if row["video"]:
        return float(media.parts.quick_probe(studio(request).store.path(row["video"])).duration)
    return None


async def captions_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    seg_id = request.path_params["seg"]
    doc = load_explorer(request, slug)
    row = next((r for r in segment_rows(request, doc.data) if r["id"] == seg_id), None)
    if row is None:
        raise HTTPException(404, f"No segment '{seg_id}'.")
    s = studio(request)
    languages, _ = catalog(request).languages()
    seg_len = await run_in_threadpool(_seg_len, request, row)
    folder = explorer_path(request, slug).parent
    tracks = {}
    for lang in languages:
        rel = row["captions"].get(lang)
        path = folder / rel if rel else None
        if path is not None and path.is_file():
            tracks[lang] = capmod.check(path, lang, seg_len, s.config.settings.validation)
        else:
            tracks[lang] = []
    flagged = [(lang, c) for lang, cues in tracks.items() for c in cues if c.problems]
    return render(
        request,
        "captions.html",
        nav="segments",
        slug=slug,
        row=row,
        tracks=tracks,
        flagged=flagged,
        seg_len=seg_len or 1.0,
        languages=languages,
        version=doc.version,
        msg=request.query_params.get("msg", ""),
    )


async def captions_save(request: Request) -> Response:
    """Save one language's cues (and name the file in explorer.yaml if it is new)."""
    s = studio(request)
    slug = request.path_params["slug"]
    seg_id = request.path_params["seg"]
    form = form_dict(await checked_form(request))
    lang = form.get("lang", "")
    languages, _ = catalog(request).languages()
    if lang not in languages:
        raise HTTPException(400, f"No language '{lang}' in the collection.")
    doc = load_explorer(request, slug)
    row = next((r for r in segment_rows(request, doc.data) if r["id"] == seg_id), None)
    if row is None:
        raise HTTPException(404, f"No segment '{seg_id}'.")
    cues: list[Cue] = []
    n = int(form.get("count", "0") or 0)
    for i in range(n):
        if form.get(f"c.{i}.delete"):
            continue
        text = form.get(f"c.{i}.text", "").replace("\r\n", "\n").strip()
        try:
            start = capmod.parse_time(form.get(f"c.{i}.start", ""))
            end = capmod.parse_time(form.get(f"c.{i}.end", ""))
        except ValueError:
            raise HTTPException(
                400, f"Cue {i + 1}: write times as 00:00:01.500 or seconds."
            ) from None
        if text:
            cues.append(Cue(start, end, text))
    if form.get("add"):
        last = cues[-1].end if cues else 0.0
        cues.append(Cue(last, last + 2.0, "…"))
    if form.get("extend"):
        seg_len = await run_in_threadpool(_seg_len, request, row)
        cues = capmod.extend_to_next(cues, int(form["extend"]), seg_len)
    cues.sort(key=lambda c: c.start)
    folder = explorer_path(request, slug).parent
    rel = row["captions"].get(lang) or f"captions/{seg_id}.{lang}.vtt"
    try:
        target = s.store.path(f"explorers/{slug}/{rel}")
    except PathRefused as exc:
        raise HTTPException(400, str(exc)) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    s.store.write(target, capmod.to_vtt(cues).encode("utf-8"))
    if lang not in row["captions"]:
        seg = doc.data["segments"][row["i"]]
        caps = seg.get("captions")
        if not isinstance(caps, CommentedMap):
            caps = flow_map()
            seg["captions"] = caps
        caps[lang] = rel
        try:
            s.store.save_doc(doc)
        except ChangedElsewhere:
            return changed_elsewhere(request, f"/explorers/{slug}/captions/{seg_id}")
    del folder
    return back(f"/explorers/{slug}/captions/{seg_id}", "saved")


def routes() -> list[Any]:
    return [
        Route("/media", media_page),
        Route("/media/upload", upload, methods=["POST"]),
        Route("/media/import", import_file, methods=["POST"]),
        Route("/media/file/{path:path}", media_file),
        Route("/media/frame", frame),
        Route("/media/peaks", peaks),
        Route("/explorers/{slug}/segments", segments_page, methods=["GET"]),
        Route("/explorers/{slug}/segments", segments_save, methods=["POST"]),
        Route("/explorers/{slug}/captions/{seg}", captions_page, methods=["GET"]),
        Route("/explorers/{slug}/captions/{seg}", captions_save, methods=["POST"]),
    ]
