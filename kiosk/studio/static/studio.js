// The studio's small behaviours: the map's drag and click, the scrubber, the caption timeline.
// No build step: plain browser JavaScript. Everything that decides (projection, frames,
// validation) happens on the server; this file only moves things and posts what the mouse did.
"use strict";
function csrf() { return document.querySelector('meta[name="csrf"]').content; }
function post(url, data) {
  const body = new URLSearchParams(data); body.set("csrf", csrf());
  return fetch(url, { method: "POST", body, headers: { "X-Studio-Token": csrf() } });
}

// --- route map: click to add a point, drag a point to move it --------------------------------
function svgPoint(svg, evt) {
  const pt = svg.createSVGPoint(); pt.x = evt.clientX; pt.y = evt.clientY;
  return pt.matrixTransform(svg.getScreenCTM().inverse());
}
function initMap(svg) {
  const d = svg.dataset;
  const base = { version: d.version, scale: d.scale, dx: d.dx, dy: d.dy };
  let dragging = null, moved = false;
  svg.addEventListener("pointerdown", (e) => {
    const g = e.target.closest(".pt");
    if (g) { dragging = g; moved = false; svg.setPointerCapture(e.pointerId); e.preventDefault(); }
  });
  svg.addEventListener("pointermove", (e) => {
    if (!dragging) return;
    const p = svgPoint(svg, e); moved = true;
    dragging.setAttribute("transform", `translate(${p.x},${p.y})`);
  });
  svg.addEventListener("pointerup", async (e) => {
    const p = svgPoint(svg, e);
    if (dragging) {
      const g = dragging; dragging = null;
      if (!moved) return;
      await post(d.url, { ...base, action: "move", i: g.dataset.i, x: p.x, y: p.y });
      location.reload();
      return;
    }
    await post(d.url, { ...base, action: "add", x: p.x, y: p.y });
    location.reload();
  });
}
document.addEventListener("DOMContentLoaded", () => {
  const map = document.getElementById("route-map");
  if (map) initMap(map);
});
