#!/usr/bin/python3
"""Objects benchmark, in one run:
  - the tracker's cost per frame for 10, 50 and 200 boxes against its floor (the IoU matrix alone):
    build/bench/vigil_tracker_bench;
  - the camera pipeline on Debian's vtest.avi (768x576) with the COCO detector, every frame (REALTIME=false,
    MOTION_GATE=false), TRACK=false (before: frames only) against TRACK=true (after: objectIds), runs interleaved
    so both see the same machine; frames per second and CPU seconds per frame;
  - examples/security-camera replayed on the street clip (tests/tools/make_street_clip.py), per object against the
    old per-frame rules (cooldown 60 s): alerts per person.
usage: bench/objects_bench.py [--frames N] [--runs R]   (from the project root). Prints Markdown for
docs/performance.md."""
import argparse, json, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, "build", "vigil")
TRACKER = os.path.join(ROOT, "build", "bench", "vigil_tracker_bench")
MODEL = os.path.join(ROOT, "..", "shared", "models", "yolo-fastest-1.1-xl-coco")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
EXAMPLE = os.path.join(ROOT, "examples", "security-camera", "deployment.json")
ap = argparse.ArgumentParser()
ap.add_argument("--frames", type=int, default=300)
ap.add_argument("--runs", type=int, default=3)
a = ap.parse_args()


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def camera(track):
    out = tempfile.mktemp(suffix=".jsonl")
    cpu0, t0 = children_cpu(), time.time()
    subprocess.run([VIGIL, "camera", "-v", VTEST, "-e", MODEL, "--frames", str(a.frames), "-o", out,
                    "-s", "REALTIME=false", "-s", "MOTION_GATE=false", "-s", "LOOP_VIDEO=false", "-s", "TRACK=%s" % track],
                   check=True, capture_output=True)
    secs, cpu = time.time() - t0, children_cpu() - cpu0
    ids = set()
    with open(out) as f:
        for line in f:
            body = json.loads(line)["message"]["body"]
            for p in body.get("predictions", []) if isinstance(body, dict) else []:
                if "objectId" in p:
                    ids.add(p["objectId"])
    os.remove(out)
    return a.frames / secs, cpu / a.frames * 1000, len(ids)


print("### Tracker cost per frame (`build/bench/vigil_tracker_bench`)\n")
print("| boxes a frame | floor: IoU matrix (µs) | tracker update (µs) | ratio | boxes given an id |")
print("|---|---|---|---|---|")
for line in subprocess.run([TRACKER], capture_output=True, text=True, check=True).stdout.splitlines():
    r = json.loads(line)
    print("| %d | %.1f | %.1f | %.1f | %.0f %% |" % (r["boxes"], r["floor_iou_matrix_us"], r["tracker_us"], r["ratio"], 100 * r["tracked_fraction"]))

print("\n### Camera pipeline, vtest.avi, yolo-fastest-1.1-xl-coco, every frame (%d frames, %d runs each, interleaved)\n" % (a.frames, a.runs))
results = {"false": [], "true": []}
for _ in range(a.runs):
    for track in ("false", "true"):
        results[track].append(camera(track))
print("| TRACK | fps (median) | CPU ms per frame (median) | objects numbered |")
print("|---|---|---|---|")
for track, rs in results.items():
    fps = sorted(r[0] for r in rs)[len(rs) // 2]
    cpu = sorted(r[1] for r in rs)[len(rs) // 2]
    print("| %s | %.1f | %.1f | %d |" % (track, fps, cpu, rs[0][2]))

print("\n### Alerts per person on the street clip (3 people, 2 parked cars; `vigil replay --truth`)\n")
tmp = tempfile.mkdtemp(prefix="vigil-objects-bench-")
subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "tools", "make_street_clip.py"), tmp], check=True)
with open(EXAMPLE) as f:
    manifest = json.load(f)
per_frame = json.loads(json.dumps(manifest))
rules = per_frame["modules"]["alerts"]["desired"]
for k in ("alertPer", "lines", "stationarySeconds", "endedEvents"):
    rules.pop(k, None)
rules["zones"] = [z for z in rules["zones"] if isinstance(z, list)]
rules.update({"releaseThreshold": 0.3, "cooldownSeconds": 60})
variants = {"per frame (the example before: hysteresis, cooldown 60 s)": per_frame, "per object (the example now)": manifest}
print("| rules | person alerts | precision | recall | crossings | loitering |")
print("|---|---|---|---|---|---|")
for name, doc in variants.items():
    path = os.path.join(tmp, "m.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    env = dict(os.environ, DETECTOR=MODEL, CAMERA=VTEST, WEBHOOK="console:", MAIL="console:")
    r = subprocess.run([VIGIL, "replay", os.path.join(tmp, "street.avi"), "-m", path, "--truth", os.path.join(tmp, "truth.json"),
                        "--out", os.path.join(tmp, "out")], capture_output=True, text=True, env=env, check=True)
    s = [json.loads(l)["summary"] for l in r.stdout.splitlines() if l.startswith('{"summary"')][0]
    t = s["truth"]
    print("| %s | %d | %.2f | %.2f | %d of %d | %d of %d |" % (
        name, s["alertsByTag"].get("person", 0) - s.get("alertsByEvent", {}).get("crossed", 0) - s.get("alertsByEvent", {}).get("loitering", 0),
        t["objects"]["precision"], t["objects"]["recall"], t["crossings"]["alerts"], t["crossings"]["truth"],
        t["loitering"]["alerts"], t["loitering"]["truth"]))
