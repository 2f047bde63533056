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

// --- upload: the file is the request body, streamed by the server to disk -----------------
function initUpload() {
  const go = document.getElementById("upload-go");
  if (!go) return;
  go.addEventListener("click", async () => {
    const file = document.getElementById("upload-file").files[0];
    const out = document.getElementById("upload-result");
    if (!file) return;
    const dest = document.getElementById("upload-dest").value;
    const url = `/media/upload?dest=${encodeURIComponent(dest)}&name=${encodeURIComponent(file.name)}`;
    const r = await fetch(url, { method: "POST", body: file, headers: { "X-Studio-Token": csrf() } });
    const data = await r.json();
    out.textContent = data.ok ? data.path : data.message;
    out.className = data.ok ? "flash" : "refusal";
    if (data.ok) setTimeout(() => location.reload(), 600);
  });
}

// --- scrubber: frames decoded on the server, stepped frame by frame -------------------------
function initScrubber() {
  const box = document.getElementById("scrubber");
  if (!box) return;
  const file = box.dataset.file, fps = parseFloat(box.dataset.fps) || 25;
  const duration = parseFloat(box.dataset.duration) || 0;
  const range = document.getElementById("scrub"), img = document.getElementById("frame");
  const shown = document.getElementById("scrub-time"), video = document.getElementById("player");
  const inField = document.getElementById("seg-in"), outField = document.getElementById("seg-out");
  const src = (t, w) => `/media/frame?file=${encodeURIComponent(file)}&t=${t.toFixed(3)}&w=${w}`;
  function show(t) {
    t = Math.max(0, Math.min(duration, t));
    range.value = t; shown.textContent = t.toFixed(3); img.src = src(t, 640);
  }
  range.addEventListener("input", () => show(parseFloat(range.value)));
  box.querySelectorAll("[data-step]").forEach((b) => b.addEventListener("click", () =>
    show(parseFloat(range.value) + parseInt(b.dataset.step, 10) / fps)));
  const strip = document.getElementById("strip");
  for (let i = 0; i < 10; i++) {
    const t = duration * (i + 0.5) / 10, im = document.createElement("img");
    im.src = src(t, 160); im.alt = t.toFixed(1); im.addEventListener("click", () => show(t));
    strip.appendChild(im);
  }
  const setIn = document.getElementById("set-in"), setOut = document.getElementById("set-out");
  if (setIn) setIn.addEventListener("click", () => { inField.value = parseFloat(range.value).toFixed(3); });
  if (setOut) setOut.addEventListener("click", () => { outField.value = parseFloat(range.value).toFixed(3); });
  document.getElementById("play-range").addEventListener("click", () => {
    const a = inField ? parseFloat(inField.value) || 0 : 0;
    const b = outField ? parseFloat(outField.value) || duration : duration;
    video.currentTime = a; video.play();
    const stop = () => { if (video.currentTime >= b) { video.pause(); video.removeEventListener("timeupdate", stop); } };
    video.addEventListener("timeupdate", stop);
  });
  show(parseFloat(range.value) || 0);
}

// --- caption timeline: the waveform from peaks the server computed -------------------------
async function initTimeline() {
  const tl = document.getElementById("timeline");
  if (!tl || !tl.dataset.file) return;
  const d = tl.dataset;
  const url = `/media/peaks?file=${encodeURIComponent(d.file)}&start=${d.start}&end=${d.end}&n=600`;
  const peaks = (await (await fetch(url)).json()).peaks;
  const c = document.getElementById("wave"), g = c.getContext("2d");
  g.fillStyle = "#101820"; g.fillRect(0, 0, c.width, c.height); g.fillStyle = "#7fb8e6";
  const w = c.width / Math.max(1, peaks.length), mid = c.height / 2;
  peaks.forEach((p, i) => g.fillRect(i * w, mid - p * mid, Math.max(1, w - 0.5), Math.max(1, 2 * p * mid)));
  tl.dataset.ready = "1";
}
document.addEventListener("DOMContentLoaded", () => { initUpload(); initScrubber(); initTimeline(); });
