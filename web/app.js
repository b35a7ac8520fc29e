// The preview page: polls /api/status once a second and keeps each camera's image fresh by loading
// /snapshot.jpg again as soon as the previous one has arrived (at most 15 a second). When the server or a
// source goes away the page says so, keeps the last frame greyed out, and picks up again by itself. Each camera
// lists its latest alerts (from /api/alerts, with thumbnails; a click opens it on the review page) and its source's
// health changes.
"use strict";

const cards = new Map();
let updates = 0;

function text(el, s) { if (el.textContent !== s) el.textContent = s; }

function card(cam) {
  let c = cards.get(cam.camera);
  if (c) return c;
  const node = document.getElementById("camera-card").content.firstElementChild.cloneNode(true);
  node.dataset.camera = cam.camera;
  document.getElementById("cameras").appendChild(node);
  const q = "camera=" + encodeURIComponent(cam.camera);
  node.querySelector(".mjpeg").href = "stream.mjpg?" + q;
  node.querySelector(".snap").href = "snapshot.jpg?" + q;
  c = { node, q, img: node.querySelector("img.live"), seq: -1, loading: false };
  cards.set(cam.camera, c);
  refreshImage(c);
  return c;
}

function refreshImage(c) {
  if (c.loading) return;
  c.loading = true;
  fetch("snapshot.jpg?" + c.q + "&t=" + Date.now(), { cache: "no-store" })
    .then(r => {
      if (!r.ok) throw new Error("HTTP " + r.status);
      const seq = Number(r.headers.get("X-Frame-Sequence") || 0);
      return r.blob().then(b => ({ seq, b }));
    })
    .then(({ seq, b }) => {
      if (seq !== c.seq) {
        const old = c.img.src;
        c.img.src = URL.createObjectURL(b);
        if (old && old.startsWith("blob:")) URL.revokeObjectURL(old);
        c.seq = seq;
        updates += 1;
        document.body.dataset.updates = String(updates);
        c.node.dataset.updates = String(Number(c.node.dataset.updates || 0) + 1);
      }
      c.loading = false;
      setTimeout(() => refreshImage(c), 66);
    })
    .catch(() => { c.loading = false; setTimeout(() => refreshImage(c), 1000); });
}

function render(cam) {
  const c = card(cam);
  const n = c.node, h = cam.health || {};
  // The health states this page has seen, in order (for people debugging, and for the browser test).
  const seen = (n.dataset.states || "").split(",").filter(Boolean);
  if (seen[seen.length - 1] !== h.state) { seen.push(h.state); n.dataset.states = seen.join(","); }
  const badge = n.querySelector(".health");
  badge.className = "badge health " + h.state;
  text(badge, h.state + (h.for_s !== undefined ? " · " + Math.round(h.for_s) + " s" : ""));
  text(n.querySelector(".name"), cam.camera);
  text(n.querySelector(".reason"), (h.state === "live" ? "" : h.reason || "") + (cam.last_error ? " — " + cam.last_error : ""));
  n.querySelector(".frame").classList.toggle("down", h.state === "lost" || h.state === "stalled");
  const ph = n.querySelector(".placeholder");
  text(ph, h.state === "lost" ? "source lost — reconnecting…" : h.state === "stalled" ? "source stalled" : "waiting for the first frame…");
  text(n.querySelector(".fps"), cam.fps.toFixed(1) + " /s");
  text(n.querySelector(".infer"), cam.infer_ms ? cam.infer_ms.toFixed(1) + " ms" : "—");
  const f = cam.frames;
  text(n.querySelector(".frames"), `${f.captured} captured · ${f.inferred} inferred · ${f.skipped} static · ${f.dropped} dropped`);
  text(n.querySelector(".inference"), cam.inference);
  const top = n.querySelector(".top");
  top.replaceChildren(...cam.top.map(t => { const li = document.createElement("li"); li.textContent = `${t.tag} ${(t.probability * 100).toFixed(0)} %`; return li; }));
  const ev = n.querySelector(".events");
  ev.replaceChildren(...cam.events.slice(0, 10).map(e => {
    const li = document.createElement("li");
    const b = document.createElement("b");
    b.textContent = e.state;
    li.append(b, " " + (e.time || "").replace("T", " ").replace(/\.\d+Z$/, " UTC"));
    return li;
  }));
}

function recentAlerts(cam) {
  return fetch("api/alerts?limit=5&camera=" + encodeURIComponent(cam.camera), { cache: "no-store" })
    .then(r => r.ok ? r.json() : { alerts: [] })
    .then(j => {
      const list = card(cam).node.querySelector(".recent");
      list.replaceChildren(...j.alerts.map(a => {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = "alerts?id=" + encodeURIComponent(a.id) + "&camera=" + encodeURIComponent(a.camera);
        if (a.snapshot) { const img = document.createElement("img"); img.src = a.snapshot; img.alt = ""; link.append(img); }
        link.append([a.tag, a.event].filter(Boolean).join(" ") + (a.clip ? " ▶" : ""));
        li.append(link, " " + (a.time || "").replace("T", " ").replace(/\.\d+Z$/, " UTC"));
        return li;
      }));
    })
    .catch(() => {});
}

let polls = 0;
function poll() {
  fetch("api/status", { cache: "no-store" })
    .then(r => r.json())
    .then(s => {
      const conn = document.getElementById("conn");
      conn.className = "badge live"; text(conn, "connected");
      s.cameras.forEach(render);
      if (polls++ % 3 === 0) s.cameras.forEach(recentAlerts);
    })
    .catch(() => { const conn = document.getElementById("conn"); conn.className = "badge offline"; text(conn, "vigil not reachable — retrying"); })
    .finally(() => setTimeout(poll, 1000));
}

poll();
