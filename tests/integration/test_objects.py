#!/usr/bin/python3
"""Objects, not frames, with the real binary, the real COCO detector and a clip made here from real data
(tests/tools/make_street_clip.py: three pedestrians cut out of vtest.avi walked across its empty street, whose
parked van and car stay in view throughout; truth.json says who is where):
- the camera gives each person one objectId for as long as they are in view (no identity switch) and says when
  they left;
- examples/security-camera replayed on the clip: one "detected" alert per person, none for the parked cars, the two
  gate crossings with their directions, one loitering in the corner; --truth scores precision and recall 1.0;
  snapshots kept in --out;
- `vigil replay` and `vigil replay --realtime` give the same alerts, frame for frame;
- `vigil run` on the clip: /metrics counts objects and crossings, `vigil explain` names the object of a decision, and
  Home Assistant discovery through a real mosquitto: the person occupancy on and off with the people, counts, the
  gate's crossings, the snapshot as JPEG."""
import argparse, json, os, subprocess, sys, tempfile, threading, urllib.request
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port, start_mosquitto, terminate
from camera_harness import wait_for, TOOLS

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
ap.add_argument("--source", required=True)
a = ap.parse_args()
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
DETECTOR = os.path.join(os.path.abspath(a.shared), "models", "yolo-fastest-1.1-xl-coco")
EXAMPLE = os.path.join(a.source, "examples", "security-camera", "deployment.json")
if not os.path.exists(VTEST) or not os.path.isdir(DETECTOR):
    print("SKIP: needs %s and %s" % (VTEST, DETECTOR))
    sys.exit(77)
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-objects-test-")
subprocess.run(["/usr/bin/python3", os.path.join(TOOLS, "make_street_clip.py"), tmp], check=True)
CLIP = os.path.join(tmp, "street.avi")
with open(os.path.join(tmp, "truth.json")) as f:
    TRUTH = json.load(f)
ENV = dict(os.environ, DETECTOR=DETECTOR)


def vigil(*args, timeout=300):
    return subprocess.run([a.vigil, *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def bodies(stdout):
    out = []
    for line in stdout.splitlines():
        if line.startswith('{"alert"'):
            b = json.loads(line)["alert"]["body"]
            out.append(b if isinstance(b, dict) else json.loads(b))
    return out


def key(b):
    return (b.get("event"), b.get("tag"), b.get("objectId"), b.get("frameNumber"), b.get("line"), b.get("direction"), b.get("zone"))


def test_camera_ids():
    """Each pedestrian keeps one objectId while in view; every id that ended is reported."""
    out = os.path.join(tmp, "camera.jsonl")
    r = vigil("camera", "-v", CLIP, "-e", DETECTOR, "--id", "street", "-o", out, "-s", "LOOP_VIDEO=false",
              "-s", "REALTIME=false", "-s", "MAX_FPS=5")
    c.expect(r.returncode == 0, "vigil camera exits 0: %s" % r.stderr[-500:])
    ids, ended = {}, set()
    with open(out) as f:
        for line in f:
            m = json.loads(line)["message"]
            body = m["body"] if isinstance(m["body"], dict) else json.loads(m["body"])
            if "predictions" not in body:
                continue
            n = int(m["properties"]["frameNumber"])
            for p in body["predictions"]:
                if "objectId" in p and p["tagName"] == "person":
                    ids.setdefault(p["objectId"], []).append(n)
            ended.update(body.get("endedObjects", []))
    c.expect(len(ids) == len(TRUTH["objects"]), "one person id per pedestrian: %s" % {k: (v[0], v[-1]) for k, v in ids.items()})
    for o in TRUTH["objects"]:
        inside = [k for k, v in ids.items() if o["firstFrame"] <= v[0] and v[-1] <= o["lastFrame"]]
        c.expect(len(inside) == 1, "pedestrian %s (frames %d-%d) has exactly one id: %s" % (o["id"], o["firstFrame"], o["lastFrame"], inside))
    c.expect(all(i.startswith("street-") for i in ids), "ids are <camera>-<n>: %s" % list(ids))
    c.expect(set(ids) <= ended, "every person id is reported ended when they leave: %s vs %s" % (list(ids), ended))


def replay(*extra, out):
    r = vigil("replay", CLIP, "-m", EXAMPLE, "--out", out, *extra)
    c.expect(r.returncode == 0, "replay %s exits 0: %s" % (" ".join(extra), r.stderr[-800:]))
    summary = [json.loads(l)["summary"] for l in r.stdout.splitlines() if l.startswith('{"summary"')]
    return bodies(r.stdout), (summary[0] if summary else {})


def test_replay_alerts():
    alerts, s = replay("--truth", os.path.join(tmp, "truth.json"), out=os.path.join(tmp, "replay-fast"))
    detected = [b for b in alerts if b.get("event") == "detected"]
    c.expect(len(detected) == 3 and all(b["tag"] == "person" for b in detected) and len({b["objectId"] for b in detected}) == 3,
             "one detected alert per person, three people: %s" % [key(b) for b in detected])
    c.expect(not [b for b in alerts if b["tag"] != "person"], "no alert for the parked cars: %s" % [key(b) for b in alerts if b["tag"] != "person"])
    crossings = sorted((b["line"], b["direction"]) for b in alerts if b.get("event") == "crossed")
    expected = sorted((x["line"], x["direction"]) for x in TRUTH["crossings"])
    c.expect(crossings == expected, "the gate crossings with their directions: %s, expected %s" % (crossings, expected))
    loiter = [b for b in alerts if b.get("event") == "loitering"]
    c.expect(len(loiter) == 1 and loiter[0]["zone"] == "corner" and loiter[0]["seconds"] >= 5,
             "one loitering in the corner, 5 s or more: %s" % loiter)
    t = s.get("truth", {})
    c.expect(t.get("objects", {}).get("precision") == 1.0 and t.get("objects", {}).get("recall") == 1.0,
             "--truth: objects precision and recall 1.0: %s" % t.get("objects"))
    c.expect(t.get("crossings", {}).get("recall") == 1.0 and t.get("loitering", {}).get("recall") == 1.0,
             "--truth: crossings and loitering found: %s" % t)
    c.expect(all(0 <= d <= 3 for d in t.get("objects", {}).get("firstAlertDelaySeconds", {}).values()),
             "--truth: each person alerted within 3 s: %s" % t.get("objects"))
    c.expect(all(os.path.isfile(b.get("snapshot", "")) for b in alerts if b.get("event") != "ended"),
             "every alert's snapshot is kept: %s" % [b.get("snapshot") for b in alerts])
    c.expect(os.path.isfile(os.path.join(tmp, "replay-fast", "summary.json")), "the summary is kept in --out")
    return alerts


def test_realtime_equals_fast(fast):
    alerts, s = replay("--realtime", out=os.path.join(tmp, "replay-realtime"))
    c.expect([key(b) for b in alerts] == [key(b) for b in fast],
             "replay --realtime gives the same alerts as the fast replay:\n%s\n%s" % ([key(b) for b in alerts], [key(b) for b in fast]))
    c.expect("latencyMs" in s, "--realtime reports the capture-to-alert latency: %s" % s)


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            return r.read().decode()
    except Exception:
        return ""


def test_run_metrics_and_explain():
    state = os.path.join(tmp, "state")
    port = free_port()
    # A copy of the example, so that its file uplink (alerts.jsonl, next to the manifest) lands here; the webhook and
    # mail uplinks of its .env become files too.
    # With "endedEvents" on, and an MQTT uplink to a real mosquitto with Home Assistant discovery, watched from Home
    # Assistant's side through the replayed clip.
    manifest = os.path.join(tmp, "example", "deployment.json")
    os.makedirs(os.path.dirname(manifest))
    doc = json.load(open(EXAMPLE))
    doc["modules"]["alerts"]["desired"]["endedEvents"] = True
    json.dump(doc, open(manifest, "w"))
    env = dict(ENV, CAMERA=CLIP, WEBHOOK="file:webhook.jsonl", MAIL="file:mail.jsonl")
    mqtt_port, broker = start_mosquitto(tmp)
    seen, lock = [], threading.Lock()
    watcher = mqtt.Client(client_id="home-assistant")
    watcher.on_connect = lambda cl, u, f, rc: (cl.subscribe("homeassistant/#", 1), cl.subscribe("vigil/#", 1))
    watcher.on_message = lambda cl, u, msg: (lock.acquire(), seen.append((msg.topic, msg.payload)), lock.release())
    watcher.connect("127.0.0.1", mqtt_port)
    watcher.loop_start()

    def states(topic):
        with lock:
            return [p.decode() for t, p in seen if t == topic]

    proc = subprocess.Popen([a.vigil, "run", manifest, "--state-dir", state, "--set", "driveway.PREVIEW_PORT=%d" % port,
                             "--upstream", "mqtt://127.0.0.1:%d/up/{device}/{module}/{output}?homeassistant=1" % mqtt_port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        occupancy, count = "vigil/vigil/ha/driveway_person_occupancy/state", "vigil/vigil/ha/driveway_person_count/state"
        gate, snapshot = "vigil/vigil/ha/driveway_gate_crossings/state", "vigil/vigil/ha/driveway_snapshot/state"
        c.expect(wait_for(lambda: "OFF" in states(occupancy)[states(occupancy).index("ON"):] if "ON" in states(occupancy) else False, 120),
                 "Home Assistant: the person occupancy goes on and off with the people of the clip: %s" % states(occupancy))
        c.expect(wait_for(lambda: states(gate) and int(states(gate)[-1]) >= 1, 30), "Home Assistant: gate crossings %s" % states(gate))
        counted = lambda: max(int(n) for n in states(count) or ["0"]) >= 1 and "0" in states(count)
        c.expect(wait_for(counted, 10), "Home Assistant: counts %s" % states(count))
        with lock:
            jpeg = [p for t, p in seen if t == snapshot]
            configs = [t for t, p in seen if t.startswith("homeassistant/") and t.endswith("/config")]
        c.expect(jpeg and jpeg[-1][:2] == b"\xff\xd8", "Home Assistant: the snapshot entity gets a JPEG")
        c.expect("homeassistant/binary_sensor/vigil_vigil/driveway_person_occupancy/config" in configs,
                 "Home Assistant: discovery configs: %s" % configs)
        crossed = lambda: 'vigil_line_crossings_total{camera="driveway",line="gate",direction="leftToRight"}' in metrics(port)
        c.expect(wait_for(crossed, 90), "/metrics counts the gate crossing by line and direction:\n%s" %
                 "\n".join(l for l in metrics(port).splitlines() if "vigil_line" in l or "vigil_objects" in l))
        c.expect('vigil_objects_total{camera="driveway",tag="person"}' in metrics(port), "/metrics counts the objects")

        def explained():
            r = subprocess.run([a.vigil, "explain", "alerts", "--state-dir", state, "--json"], capture_output=True, text=True)
            traces = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else []
            return [t for t in traces if t.get("objectId")]
        c.expect(wait_for(explained, 10), "explain names the object of a decision")
        t = explained()
        c.expect(t and t[0]["objectId"].startswith("driveway-") and t[0]["trace"], "explain: objectId and the trace: %s" % t[:1])
    finally:
        terminate(proc)
        watcher.loop_stop()
        broker.terminate()
        broker.wait()


test_camera_ids()
fast = test_replay_alerts()
test_realtime_equals_fast(fast)
test_run_metrics_and_explain()
sys.exit(c.done())
