// The alert review page: lists /api/alerts newest first with thumbnails, filters by camera, tag, time and reviewed,
// shows one alert with its clip (a <video> that seeks through HTTP range requests) or its snapshot, and marks it
// reviewed or deletes it. New alerts appear by themselves (polled every 5 s).
"use strict";

const $ = id => document.getElementById(id);
const form = $("filters");
let shown = [], selected = null, limit = 50;

function when(t) { return (t || "").replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
function title(a) {
  return [a.tag, a.event, a.objectId && "(" + a.objectId + ")"].filter(Boolean).join(" ") + " · " + a.camera;
}

function query() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) {
    if (!v) continue;
    p.set(k, (k === "from" || k === "to") ? new Date(v).toISOString() : v);
  }
  p.set("limit", String(limit));
  return p;
}

function fill(select, values) {
  const keep = select.value;
  const have = [...select.options].map(o => o.value);
  for (const v of values) if (!have.includes(v)) select.add(new Option(v, v));
  select.value = keep;
}

function item(a) {
  const li = $("alert-item").content.firstElementChild.cloneNode(true);
  li.dataset.id = a.id;
  li.classList.toggle("reviewed", a.reviewed);
  li.classList.toggle("selected", selected && selected.id === a.id);
  const img = li.querySelector(".thumb");
  if (a.snapshot) img.src = a.snapshot; else img.classList.add("none");
  li.querySelector(".what").textContent = title(a) + (a.clip ? " ▶" : "");
  li.querySelector(".when").textContent = when(a.time) + (a.reviewed ? " · reviewed" : "");
  li.addEventListener("click", () => open(a.id));
  return li;
}

function load() {
  return fetch("api/alerts?" + query(), { cache: "no-store" })
    .then(r => r.ok ? r.json() : r.json().then(e => Promise.reject(new Error(e.message))))
    .then(j => {
      shown = j.alerts;
      fill(form.camera, j.cameras || []);
      fill(form.tag, j.tags || []);
      $("alerts").replaceChildren(...shown.map(item));
      $("count").textContent = j.total + (j.total === 1 ? " alert" : " alerts");
      $("more").hidden = shown.length >= j.total;
      document.body.dataset.loaded = String(Number(document.body.dataset.loaded) + 1);
    })
    .catch(e => { $("count").textContent = "cannot load alerts: " + e.message; });
}

function open(id) {
  fetch("api/alerts/" + encodeURIComponent(id), { cache: "no-store" }).then(r => r.json()).then(a => {
    selected = a;
    $("detail").hidden = false;
    $("detail").dataset.id = a.id;
    const video = $("clip"), still = $("still");
    if (a.clip) {
      if (video.getAttribute("src") !== a.clip) video.src = a.clip;
      video.hidden = false; still.hidden = true;
      $("download").href = a.clip; $("download").hidden = false;
    } else {
      video.removeAttribute("src"); video.load(); video.hidden = true;
      still.hidden = !a.snapshot; if (a.snapshot) still.src = a.snapshot;
      $("download").hidden = true;
    }
    $("noclip").textContent = a.clip ? "" : a.clipState === "recording" ? "the clip is being recorded…" : "no clip";
    $("d-title").textContent = title(a);
    const fields = { time: when(a.time), probability: (a.probability * 100).toFixed(0) + " %", clip: a.clipSeconds ? a.clipSeconds + " s" : "—" };
    for (const k of ["line", "direction", "zone", "seconds"]) if (a.alert && a.alert[k] !== undefined) fields[k] = String(a.alert[k]);
    $("d-fields").replaceChildren(...Object.entries(fields).flatMap(([k, v]) => {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = k; dd.textContent = v; return [dt, dd];
    }));
    $("reviewed").textContent = a.reviewed ? "mark not reviewed" : "mark reviewed";
    for (const li of $("alerts").children) li.classList.toggle("selected", li.dataset.id === a.id);
  });
}

$("reviewed").addEventListener("click", () => {
  if (!selected) return;
  fetch("api/alerts/" + encodeURIComponent(selected.id), {
    method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reviewed: !selected.reviewed }),
  }).then(() => load()).then(() => open(selected.id));
});

$("delete").addEventListener("click", () => {
  if (!selected || !confirm("Delete this alert, its snapshot and its clip?")) return;
  fetch("api/alerts/" + encodeURIComponent(selected.id), { method: "DELETE" }).then(() => {
    selected = null; $("detail").hidden = true; load();
  });
});

$("more").addEventListener("click", () => { limit += 50; load(); });
form.addEventListener("change", () => { limit = 50; load(); });
const first = new URLSearchParams(location.search);
for (const k of ["camera", "tag", "reviewed"]) if (first.get(k)) { fill(form[k], [first.get(k)]); form[k].value = first.get(k); }
load().then(() => { if (first.get("id")) open(first.get("id")); });
setInterval(load, 5000);
