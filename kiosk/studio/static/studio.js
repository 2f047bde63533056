// The studio's small behaviours: the map's drag and click, the scrubber, the caption timeline.
// No build step: plain browser JavaScript. Everything that decides (projection, frames,
// validation) happens on the server; this file only moves things and posts what the mouse did.
"use strict";
function csrf() { return document.querySelector('meta[name="csrf"]').content; }
function post(url, data) {
  const body = new URLSearchParams(data); body.set("csrf", csrf());
  return fetch(url, { method: "POST", body, headers: { "X-Studio-Token": csrf() } });
}
