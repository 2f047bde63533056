"""Pages that show and ship the collection: the kiosk's preview, the route map, publishing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.content import geo
from kiosk.studio import publish as pub
from kiosk.studio import routemap
from kiosk.studio.app import back, checked_form, form_dict, render, studio
from kiosk.studio.forms import flow_map, set_scalar, set_text, text_value
from kiosk.studio.pages import catalog, changed_elsewhere, load_explorer
from kiosk.studio.preview import SCENES, Shot
from kiosk.studio.store import BrokenFile, ChangedElsewhere


# -- preview ---------------------------------------------------------------------------------
def _shot(request: Request) -> Shot:
    q = request.query_params
    languages, default = catalog(request).languages()
    scene = q.get("scene", "gallery")
    if scene not in SCENES:
        scene = "gallery"
    slug = q.get("slug") or None
    lang = q.get("lang", default)
    return Shot(
        scene,
        lang if lang in languages else default,
        slug,
        q.get("portrait") == "1",
        q.get("large") == "1",
    )


async def preview_page(request: Request) -> Response:
    shot = _shot(request)
    languages, _ = catalog(request).languages()
    return render(
        request,
        "preview.html",
        nav="preview",
        slug=shot.slug or "",
        shot=shot,
        scenes=SCENES,
        languages=languages,
        slugs=catalog(request).slugs(),
        query=request.url.query,
    )


async def preview_png(request: Request) -> Response:
    shot = _shot(request)
    if shot.slug is not None and shot.slug not in catalog(request).slugs():
        raise HTTPException(404, f"No explorer '{shot.slug}'.")
    data = await run_in_threadpool(studio(request).renderer.png, shot)
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


# -- route -----------------------------------------------------------------------------------
async def route_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        doc = load_explorer(request, slug)
    except BrokenFile:
        return back(f"/explorers/{slug}")
    languages, default = catalog(request).languages()
    lang = request.query_params.get("lang", default)
    raw = doc.data.get("route") or []
    points = []
    rows = []
    for i, pt in enumerate(raw):
        try:
            lat, lon = float(pt["lat"]), float(pt["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        points.append((lat, lon, text_value(pt, "label", lang) or str(i + 1)))
        rows.append(
            {
                "i": i,
                "lat": pt.get("lat"),
                "lon": pt.get("lon"),
                "labels": {x: text_value(pt, "label", x) for x in languages},
                "date": pt.get("date") or "",
                "segment": pt.get("segment") or "",
                "at": pt.get("at") if pt.get("at") is not None else "",
            }
        )
    view = await run_in_threadpool(routemap.build, points)
    seg_ids = [str(s.get("id")) for s in doc.data.get("segments") or [] if isinstance(s, dict)]
    s = studio(request)
    from kiosk.studio.views import problems_for

    problems = [
        p for p in problems_for(s.checker, doc.path, doc.data, s.root) if "route" in p.anchor
    ]
    return render(
        request,
        "route.html",
        nav="route",
        slug=slug,
        view=view,
        rows=rows,
        languages=languages,
        version=doc.version,
        seg_ids=seg_ids,
        problems=problems,
        msg=request.query_params.get("msg", ""),
    )


async def route_change(request: Request) -> Response:
    """add (x, y on the map), move (i, x, y), delete (i), or save the table of points."""
    s = studio(request)
    slug = request.path_params["slug"]
    form = form_dict(await checked_form(request))
    doc = load_explorer(request, slug)
    if form.get("version") != doc.version:
        return changed_elsewhere(request, f"/explorers/{slug}/route")
    languages, default = catalog(request).languages()
    route = doc.data.get("route")
    if not isinstance(route, CommentedSeq):
        route = CommentedSeq()
        doc.data["route"] = route
    fit = (
        geo.Fit(float(form["scale"]), float(form["dx"]), float(form["dy"]))
        if "scale" in form
        else None
    )
    action = form.get("action", "save")
    if "delete" in form:
        action, form["i"] = "delete", form["delete"]
    if action in ("add", "move") and fit is not None:
        lat, lon = routemap.to_latlon(fit, float(form["x"]), float(form["y"]))
        if action == "add":
            labels = {
                x: DoubleQuotedScalarString(form.get("label", "") or f"{lat}, {lon}")
                for x in languages
            }
            route.append(flow_map(lat=lat, lon=lon, label=flow_map(**labels)))
        else:
            pt = _point(route, form.get("i", ""))
            pt["lat"], pt["lon"] = lat, lon
    elif action == "delete":
        _point(route, form.get("i", ""))
        del route[int(form["i"])]
    else:
        for i, pt in enumerate(route):
            if not isinstance(pt, CommentedMap):
                continue
            for key in ("lat", "lon", "at"):
                name = f"p.{i}.{key}"
                if name in form:
                    _set_number(pt, key, form[name])
            for key in ("date", "segment"):
                if f"p.{i}.{key}" in form:
                    set_scalar(pt, key, form[f"p.{i}.{key}"])
            for lang in languages:
                if f"p.{i}.label.{lang}" in form:
                    set_text(pt, "label", lang, form[f"p.{i}.label.{lang}"], default)
    try:
        s.store.save_doc(doc)
    except ChangedElsewhere:
        return changed_elsewhere(request, f"/explorers/{slug}/route")
    return back(f"/explorers/{slug}/route", "saved")


def _point(route: CommentedSeq, index: str) -> CommentedMap:
    if not index.isdigit() or int(index) >= len(route):
        raise HTTPException(400, "No such route point.")
    pt = route[int(index)]
    if not isinstance(pt, CommentedMap):
        raise HTTPException(400, "That route point cannot be edited here; fix it in the file.")
    return pt


def _set_number(pt: CommentedMap, key: str, raw: str) -> None:
    raw = raw.strip()
    old = pt.get(key)
    if str(old if old is not None else "") == raw:
        return
    if not raw:
        pt.pop(key, None)
        return
    try:
        pt[key] = float(raw) if "." in raw else int(raw)
    except ValueError:
        pt[key] = raw  # kept as typed: the validator says what is wrong


# -- publish ---------------------------------------------------------------------------------
def _out_dirs(request: Request) -> list[Path]:
    return [*studio(request).config.out_dirs, *pub.removable_drives()]


async def publish_page(request: Request) -> Response:
    s = studio(request)
    report = await run_in_threadpool(s.checker.report)
    return render(
        request,
        "publish.html",
        nav="publish",
        report=report,
        changes=pub.changes(s.root),
        drives=_out_dirs(request),
        result=None,
        failure="",
    )


async def publish_post(request: Request) -> Response:
    s = studio(request)
    form = form_dict(await checked_form(request))
    report = await run_in_threadpool(s.checker.report)
    typed_out, typed_key = form.get("out_dir", "").strip(), form.get("key_file", "").strip()
    out = Path(typed_out or ".").expanduser()
    key = Path(typed_key).expanduser()
    result, failure = None, ""
    try:
        result = await run_in_threadpool(
            pub.publish, s.root, out, key, form.get("password", ""), report
        )
    except pub.PublishError as exc:
        failure = str(exc)
    return render(
        request,
        "publish.html",
        status_code=200 if result else 400,
        nav="publish",
        report=report,
        changes=result.changes if result else pub.changes(s.root),
        drives=_out_dirs(request),
        result=result,
        failure=failure,
        # As the curator typed them (``~/usb``): the page shows no more of the machine than that.
        out_dir=typed_out,
        key_file=typed_key,
    )


def routes() -> list[Any]:
    return [
        Route("/preview", preview_page),
        Route("/preview.png", preview_png),
        Route("/explorers/{slug}/route", route_page, methods=["GET"]),
        Route("/explorers/{slug}/route", route_change, methods=["POST"]),
        Route("/publish", publish_page, methods=["GET"]),
        Route("/publish", publish_post, methods=["POST"]),
    ]
