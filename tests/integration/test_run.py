#!/usr/bin/python3
"""`vigil run`, `vigil replay`, `vigil list|logs|explain|check` with the real binary, real models and real servers on
loopback:
- the tutorial's deployment.template.json (only its images changed) replayed on a clip built here from the shared
  photos: Apple and Banana alerts on the frames that show them, none on the negative frames;
- the built-in default: it starts, the preview answers, a person alert lands in alerts.jsonl, list/explain show it,
  SIGTERM stops it with exit 0;
- a vigil:exec module in Python joining over the local mosquitto vigil starts, and a module that crashes: restarted
  with back-off, `vigil list` shows it, `vigil logs` shows its lines, the others keep running;
- desired properties changed in the manifest while it runs apply without a restart (alert rules in-process, an exec
  module's over MQTT);
- Docker-style health checks from createOptions: on-unhealthy restarts, on-failure shows "unhealthy";
- broken manifests fail with messages naming the place; `vigil check` reports them."""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.request
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port, unchanged_for
from camera_harness import wait_for, TOOLS

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
ap.add_argument("--source", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-run-test-")
SHARED = os.path.abspath(a.shared)
MEDIA = os.path.join(SHARED, "media")
MODEL = os.path.join(SHARED, "models", "cv-applebanana-tf")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def tutorial_folder():
    """examples/tutorial (the tutorial's own deployment.template.json and .env, only the images changed) where the
    tutorial's repository would have them: the Custom Vision export in Modules/CustomVisionModule/app."""
    folder = os.path.join(tmp, "tutorial")
    os.makedirs(os.path.join(folder, "Modules", "CustomVisionModule"), exist_ok=True)
    for name in ("deployment.template.json", ".env"):
        shutil.copy(os.path.join(a.source, "examples", "tutorial", name), folder)
    os.symlink(MODEL, os.path.join(folder, "Modules", "CustomVisionModule", "app"))
    return os.path.join(folder, "deployment.template.json")


TEMPLATE = tutorial_folder()


def run(*args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([a.vigil, *args], capture_output=True, text=True, timeout=timeout, env=e)


def write(path, obj):
    with open(path, "w") as f:
        f.write(json.dumps(obj, indent=1) if not isinstance(obj, str) else obj)
    return path


def rewrite(path, obj):
    """Writes the file again with a modification time that surely differs from the last one (vigil watches it)."""
    before = os.stat(path).st_mtime_ns
    write(path, obj)
    st = os.stat(path)
    if st.st_mtime_ns <= before:
        os.utime(path, ns=(st.st_atime_ns, before + 1_000_000))


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except Exception:
        return None, b""


# --- 1. The tutorial's manifest replayed on a clip of photos ---------------------------------------------------------
if not os.path.isdir(MODEL):
    c.skip("tutorial replay: %s is missing" % MODEL)
else:
    import cv2
    segments = [("apple1.jpg", "Apple"), ("backpod.jpg", None), ("banana1.jpg", "Banana"), ("dog.jpg", None),
                ("apple2.jpg", "Apple"), ("horses.jpg", None), ("banana2.jpg", "Banana")]
    PER = 3
    clip = os.path.join(tmp, "fruit.avi")
    writer = cv2.VideoWriter(clip, cv2.VideoWriter_fourcc(*"MJPG"), 5, (640, 480))
    for name, _ in segments:
        frame = cv2.resize(cv2.imread(os.path.join(MEDIA, name)), (640, 480))  # as a 4:3 camera would frame it
        for _ in range(PER):
            writer.write(frame)
    writer.release()
    r = run("replay", clip, "--manifest", TEMPLATE, "--realtime", "--out", os.path.join(tmp, "replay-tutorial"))
    c.expect(r.returncode == 0, "replay of the tutorial manifest exits 0 (got %d): %s" % (r.returncode, r.stderr[-2000:]))
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    alerts = [l["alert"] for l in lines if "alert" in l]
    summary = [l["summary"] for l in lines if "summary" in l]
    c.expect(len(summary) == 1, "one summary line")
    if summary:
        s = summary[0]
        c.expect(s["frames"]["captured"] == len(segments) * PER, "every frame of the clip was read: %s" % s["frames"])
        c.expect(s["alerts"] == len(alerts), "the summary counts the alerts printed")
        c.expect(set(s["alertsByTag"]) == {"Apple", "Banana"}, "alerts by tag: Apple and Banana (%s)" % s["alertsByTag"])
        c.expect("latencyMs" in s and 0 <= s["latencyMs"]["min"] and s["latencyMs"]["max"] < 10000,
                 "latency from capture to alert is reported (--realtime): %s" % s.get("latencyMs"))
    for al in alerts:
        body = al["body"]
        n = int(body["frameNumber"])
        expected = segments[(n - 1) // PER][1]
        c.expect(body["tag"] == expected, "frame %d (%s) alerts %s, expected %s" % (n, segments[(n - 1) // PER][0], body["tag"], expected))
        c.expect(body["probability"] >= 0.6, "alert above the tutorial's 60 %%: %s" % body)
        c.expect(al["systemProperties"]["connectionModuleId"] == "alert-module", "sent by alert-module")
        c.expect(al["systemProperties"]["correlationId"] != "", "correlationId links the prediction")
    fruit_segments = {(int(al["body"]["frameNumber"]) - 1) // PER for al in alerts}
    c.expect(fruit_segments == {0, 2, 4, 6}, "every fruit photo alerted, no negative did (segments %s)" % sorted(fruit_segments))

    # The same clip through a deployment that asks for snapshots: the JPEG exists while the replay runs and the
    # alert names it.
    snap = write(os.path.join(tmp, "snap.json"), {
        "modules": {
            "cam": {"settings": {"image": "vigil:camera"},
                    "env": {"IMAGE_PROCESSING_ENDPOINT": {"value": "http://fruit/image"}}},
            "fruit": {"settings": {"image": "vigil:vision " + MODEL}},
            "alerts": {"settings": {"image": "vigil:alert"}, "desired": {"snapshot": True, "cooldownSeconds": 3600}}},
        "routes": {"a": "FROM /messages/modules/cam/outputs/output1 INTO BrokeredEndpoint(\"/modules/alerts/inputs/input1\")",
                   "b": "FROM /messages/modules/alerts/outputs/* INTO $upstream"}})
    r = run("replay", clip, "-m", snap, "--out", os.path.join(tmp, "replay-snap"))
    alerts = [json.loads(l)["alert"] for l in r.stdout.splitlines() if l.startswith('{"alert"')]
    c.expect(r.returncode == 0 and [al["body"]["tag"] for al in alerts] == ["Apple", "Banana"],
             "cooldown per camera and tag: one Apple, one Banana (%s) %s" % ([al["body"]["tag"] for al in alerts], r.stderr[-1500:]))
    c.expect(all("snapshot" in al["body"] and al["properties"].get("snapshot") == al["body"]["snapshot"] for al in alerts),
             "each alert names its snapshot")
    c.expect(all(os.path.isfile(al["body"]["snapshot"]) and al["body"]["snapshot"].startswith(os.path.join(tmp, "replay-snap"))
                 for al in alerts), "the snapshots are kept in the replay's --out folder")

# --- 2. Broken manifests -------------------------------------------------------------------------------------------
broken = {
    "bad-json.json": ('{"modules": {"a": {,}}}', "bad-json.json:1:"),
    "docker.json": ({"modules": {"cam": {"settings": {"image": "myacr.azurecr.io/cameramodule:1.0"}}}}, "modules.cam.settings.image"),
    "kind.json": ({"modules": {"cam": {"settings": {"image": "vigil:teleport"}}}}, "unknown module kind 'vigil:teleport'"),
    "route.json": ({"modules": {"a": {"settings": {"image": "vigil:alert"}}},
                    "routes": {"r1": "FROM /messages/* WHERE INTO $upstream"}}, "r1"),
    "var.json": ({"modules": {"cam": {"settings": {"image": "vigil:camera"}, "env": {"VIDEO_PATH": {"value": "${CLIP_NOT_SET}"}}}}},
                 "variable CLIP_NOT_SET is not set"),
    "setting.json": ({"modules": {"cam": {"settings": {"image": "vigil:camera"}, "env": {"SHOW_VIDEO": {"value": "maybe"}}}}},
                     "SHOW_VIDEO"),
    "rules.json": ({"modules": {"al": {"settings": {"image": "vigil:alert"}, "desired": {"threshold": "high"}}}}, "threshold"),
}
for name, (doc, needle) in broken.items():
    path = write(os.path.join(tmp, name), doc)
    r = run("run", path, "--state-dir", os.path.join(tmp, "state-broken"), timeout=60)
    c.expect(r.returncode == 2, "%s: vigil run exits 2 (got %d)" % (name, r.returncode))
    c.expect(needle in r.stderr, "%s: the message names the place (%r): %s" % (name, needle, r.stderr.strip()[-400:]))
    r = run("check", path, timeout=60)
    c.expect(r.returncode == 1 and "\u00d7" in r.stdout, "%s: vigil check reports an error: %s" % (name, r.stdout[-300:]))
r = run("check", TEMPLATE, timeout=60)
c.expect(r.returncode == 0 and "model of camera-module" in r.stdout and "2 labels" in r.stdout,
         "check: the tutorial's own manifest and .env pass (its camera, /dev/video0, is only a warning here): %s" % r.stdout)
iothub = "iothub:HostName=example.invalid;DeviceId=edge01;SharedAccessKey=c2VjcmV0a2V5"
r = run("check", TEMPLATE, "--upstream", iothub, timeout=60)
c.expect(r.returncode == 0 and "uplink iothub:HostName=example.invalid;DeviceId=edge01;SharedAccessKey=***" in r.stdout
         and "c2VjcmV0a2V5" not in r.stdout, "check --upstream: the uplink the tutorial passes is checked, its key hidden:\n" + r.stdout[-600:])
r = run("check", TEMPLATE, "--upstream", "gopher://example.invalid/", timeout=60)
c.expect(r.returncode == 1 and "not a supported URI" in r.stdout, "check --upstream: an unsupported one is an error")

for example, env in (("security-camera", {"DETECTOR": os.path.join(SHARED, "models", "yolo-fastest-1.1-xl-coco")}),
                     ("fleet", {})):
    r = run("check", os.path.join(a.source, "examples", example, "deployment.json"), env=env, timeout=60)
    c.expect(r.returncode == 0, "check: the %s example has no errors:\n%s" % (example, r.stdout))

# The system-wide manifest a package installs is what `vigil run`/`vigil check` use without arguments.
system = write(os.path.join(tmp, "system.json"), {"modules": {"cam": {"settings": {"image": "vigil:camera"},
                                                                      "env": {"VIDEO_PATH": {"value": VTEST}}}}, "routes": {}})
r = run("check", env={"VIGIL_SYSTEM_MANIFEST": system}, timeout=60)
c.expect("manifest %s (1 modules)" % system in r.stdout, "check: without arguments, the system manifest:\n" + r.stdout[:300])
r = run("check", env={"VIGIL_SYSTEM_MANIFEST": os.path.join(tmp, "absent.json")}, timeout=60)
c.expect("built-in default" in r.stdout, "check: without it, the built-in default:\n" + r.stdout[:300])

# --- 3. The built-in default ---------------------------------------------------------------------------------------
state = os.path.join(tmp, "state-default")
port = free_port()
proc = subprocess.Popen([a.vigil, "run", "--state-dir", state, "--set", "camera.PREVIEW_PORT=%d" % port],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
alerts_file = os.path.join(state, "alerts.jsonl")


def file_alerts():
    try:
        with open(alerts_file) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


c.expect(wait_for(lambda: http_get("http://127.0.0.1:%d/api/status" % port)[0] == 200, 30), "default: the preview answers")
c.expect(wait_for(lambda: len(file_alerts()) > 0, 90), "default: a person alert lands in alerts.jsonl")
fa = file_alerts()
c.expect(fa and fa[0]["body"]["tag"] == "person" and fa[0]["body"]["camera"] == "camera", "default: the alert is a person on camera: %s" % fa[:1])
st, snap = http_get("http://127.0.0.1:%d/snapshot.jpg" % port)
c.expect(st == 200 and snap[:2] == b"\xff\xd8", "default: the preview serves the live frame")
r = run("list", "--state-dir", state)
rows = {l.split()[0]: l for l in r.stdout.splitlines()[1:] if l.strip()}
c.expect(r.stdout.startswith("NAME") and set(rows) == {"alert", "camera", "detector"}, "list: the three modules\n" + r.stdout)
c.expect(all(" running " in l and " Up " in l for l in rows.values()), "list: all running\n" + r.stdout)
r = run("check", "--set", "camera.PREVIEW_PORT=%d" % port, timeout=60)
c.expect(r.returncode == 0 and "in use by the vigil run that is running now" in r.stdout,
         "check: the running vigil's own preview port is a warning, not an error:\n" + r.stdout)
r = run("run", "--state-dir", os.path.join(tmp, "state-second"), "--set", "camera.PREVIEW_PORT=%d" % port, timeout=60)
c.expect(r.returncode != 0 and "--set CAMERA.PREVIEW_PORT=" in r.stderr and "--port" not in r.stderr,
         "a second run on the same port says how to choose another (a setting, not a --port flag): " + r.stderr[-400:])


def explained():
    r = run("explain", "alert", "--state-dir", state, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else []


# The traces reach the state folder once a second: the first alert may be in alerts.jsonl before them.
wait_for(explained, 10)
traces = explained()
c.expect(traces and all(t["tag"] == "person" and t["trace"][0]["rule"] for t in traces),
         "explain: the person decisions with traces: %s" % json.dumps(traces)[:300])
r = run("logs", "camera", "--state-dir", state, "--tail", "50")
c.expect(r.returncode == 0 and "live" in r.stdout, "logs camera: its lines:\n" + r.stdout[-500:])
proc.send_signal(signal.SIGTERM)
try:
    code = proc.wait(timeout=30)
except subprocess.TimeoutExpired:
    proc.kill()
    code = -1
c.expect(code == 0, "default: SIGTERM stops it with exit 0 (got %s)" % code)
console = proc.stdout.read()
c.expect('"tag":"person"' in console, "default: alerts are printed on the console")

# --- 4. exec modules over MQTT, a crashing module, desired properties at run time ---------------------------------
if os.path.isdir(MODEL):
    frames = os.path.join(tmp, "apples")
    os.makedirs(frames)
    shutil.copy(os.path.join(MEDIA, "apple1.jpg"), os.path.join(frames, "a.jpg"))
    out = os.path.join(tmp, "exec-alerts.jsonl")
    state = os.path.join(tmp, "state-exec")

    def manifest(rules):
        return {
            "systemModules": {"edgeAgent": {"env": {"CoolOffTimeUnitInSeconds": {"value": "0.3"}}}},
            "modules": {
                "cam": {"settings": {"image": "vigil:camera"}, "startupOrder": 1,
                        "env": {"VIDEO_PATH": {"value": frames}, "CAPTURE_FPS": {"value": "4"}, "MOTION_GATE": {"value": "false"},
                                "IMAGE_PROCESSING_ENDPOINT": {"value": "http://fruit/image"}}},
                "fruit": {"settings": {"image": "vigil:vision " + MODEL}, "startupOrder": 0},
                "relay": {"settings": {"image": "vigil:exec /usr/bin/python3 " + os.path.join(TOOLS, "relay_module.py")},
                          "restartPolicy": "always"},
                "crasher": {"settings": {"image": "vigil:exec /usr/bin/python3 -c \"print('crasher says hello'); raise SystemExit(3)\""},
                            "restartPolicy": "on-failure"},
                "alerts": {"settings": {"image": "vigil:alert"}, "desired": rules}},
            "routes": {"toRelay": "FROM /messages/modules/cam/outputs/output1 INTO BrokeredEndpoint(\"/modules/relay/inputs/in\")",
                       "toAlerts": "FROM /messages/modules/cam/outputs/output1 INTO BrokeredEndpoint(\"/modules/alerts/inputs/input1\")",
                       "up": "FROM /messages/modules/* INTO $upstream"},
            "uplinks": ["file:" + out]}

    path = write(os.path.join(tmp, "exec.json"), manifest({"only": ["Banana"]}))  # no alert on apples …
    proc = subprocess.Popen([a.vigil, "run", path, "--state-dir", state], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "exec-run.log"), "w"))

    def upstream(module):
        try:
            with open(out) as f:
                return [m for m in (json.loads(l) for l in f if l.strip()) if m["systemProperties"]["connectionModuleId"] == module]
        except FileNotFoundError:
            return []

    ok = wait_for(lambda: len(upstream("relay")) >= 2, 60)
    c.expect(ok, "exec: the Python module over MQTT relays predictions upstream")
    if not ok:
        print(open(os.path.join(tmp, "exec-run.log")).read()[-3000:])
    rel = upstream("relay")
    c.expect(rel and rel[0]["body"] == {"tag": "Apple", "probability": rel[0]["body"]["probability"], "from": "cam"},
             "exec: the relay saw the camera's Apple: %s" % rel[:1])

    def crasher():
        r = run("list", "--state-dir", state, "--json")
        mods = json.loads(r.stdout)["modules"] if r.returncode == 0 else []
        return next((m for m in mods if m["name"] == "crasher"), {})

    c.expect(wait_for(lambda: crasher().get("restartCount", 0) >= 2, 30), "crash: restarted with back-off: %s" % crasher())
    cr = crasher()
    c.expect(cr.get("exitCode") == 3 and cr.get("status") in ("backoff", "running"), "crash: exit code 3, in back-off: %s" % cr)
    r = run("list", "--state-dir", state)
    c.expect("crasher" in r.stdout and ("Backoff (3)" in r.stdout or "running" in r.stdout), "list shows the crasher:\n" + r.stdout)
    r = run("logs", "crasher", "--state-dir", state)
    c.expect(r.stdout.count("crasher says hello") >= 2, "logs: each run's output:\n" + r.stdout[-800:])
    r = run("list", "--state-dir", state, "--json")
    others = {m["name"]: m["status"] for m in json.loads(r.stdout)["modules"]}
    c.expect(all(others[n] == "running" for n in ("cam", "fruit", "relay", "alerts")), "the others keep running: %s" % others)
    c.expect(upstream("alerts") == [], "only Banana: no alert on the apple")
    # … then the rules change in the manifest: applied while it runs.
    rewrite(path, manifest({"threshold": 0.6}))
    c.expect(wait_for(lambda: len(upstream("alerts")) > 0, 30), "desired properties changed at run time: alerts flow")
    bad = manifest({"threshold": 0.6})
    bad["modules"]["alerts"]["desired"] = {"threshold": "lots"}
    rewrite(path, bad)
    c.expect(wait_for(lambda: "refused" in run("logs", "vigil", "--state-dir", state).stdout or
                      "refused" in run("logs", "alerts", "--state-dir", state).stdout, 15), "an invalid update is refused")
    n = len(upstream("alerts"))
    c.expect(wait_for(lambda: len(upstream("alerts")) > n, 15), "after the refused update the old rules still alert")
    # A camera env edit restarts the camera with the new env (as edgeAgent does); a broken one leaves it running.
    renamed = manifest({"threshold": 0.6})
    renamed["modules"]["cam"]["env"]["CAMERA_ID"] = {"value": "yard"}
    rewrite(path, renamed)
    c.expect(wait_for(lambda: any(m["body"].get("camera") == "yard" for m in upstream("alerts")), 30),
             "camera env changed at run time: the camera restarts with it (alerts now from 'yard')")
    c.expect("changed in the manifest (env CAMERA_ID): restarting it" in run("logs", "cam", "--state-dir", state).stdout,
             "the restart for the env change is logged")
    broken = manifest({"threshold": 0.6})
    broken["modules"]["cam"]["env"]["CAMERA_ID"] = {"value": "yard"}
    broken["modules"]["cam"]["env"]["MAX_FPS"] = {"value": "NaN"}
    rewrite(path, broken)
    c.expect(wait_for(lambda: "the changed module is not applied" in run("logs", "cam", "--state-dir", state).stdout, 15),
             "a broken camera env edit is refused")
    n = len(upstream("alerts"))
    c.expect(wait_for(lambda: len(upstream("alerts")) > n, 15), "after the refused env edit the camera still runs")
    r = run("run", path, "--state-dir", state, timeout=30)
    c.expect(r.returncode == 2 and "another vigil run" in r.stderr, "a second run on the same state folder is refused: " + r.stderr)
    proc.send_signal(signal.SIGTERM)
    c.expect(proc.wait(timeout=60) == 0, "exec deployment stops with exit 0")

# --- 5. --isolate: each module its own process over MQTT; killing one takes down only that one ---------------------
if os.path.isdir(MODEL):
    out = os.path.join(tmp, "isolated-alerts.jsonl")
    state = os.path.join(tmp, "state-isolate")
    isolate_doc = {
        "systemModules": {"edgeAgent": {"env": {"CoolOffTimeUnitInSeconds": {"value": "0.2"}}}},
        "modules": {
            "cam": {"settings": {"image": "vigil:camera"},
                    "env": {"VIDEO_PATH": {"value": frames}, "CAPTURE_FPS": {"value": "4"}, "MOTION_GATE": {"value": "false"},
                            "IMAGE_PROCESSING_ENDPOINT": {"value": "http://fruit/image"}}},
            "fruit": {"settings": {"image": "vigil:vision " + MODEL}},
            "alerts": {"settings": {"image": "vigil:alert"}, "desired": {"snapshot": True}}},
        "routes": {"a": "FROM /messages/modules/cam/outputs/output1 INTO BrokeredEndpoint(\"/modules/alerts/inputs/input1\")",
                   "b": "FROM /messages/modules/alerts/outputs/* INTO $upstream"},
        "uplinks": ["file:" + out]}
    path = write(os.path.join(tmp, "isolate.json"), isolate_doc)
    proc = subprocess.Popen([a.vigil, "run", path, "--isolate", "--state-dir", state], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "isolate-run.log"), "w"))

    def isolated_alerts():
        try:
            with open(out) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def module_pids(name):
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if len(argv) > 2 and argv[1] == b"module" and argv[2] == name.encode() and state.encode() in b" ".join(argv):
                pids.append(int(pid))
        return pids

    def modules():
        r = run("list", "--state-dir", state, "--json")
        return {m["name"]: m for m in json.loads(r.stdout)["modules"]} if r.returncode == 0 else {}

    ok = wait_for(lambda: len(isolated_alerts()) >= 2, 60)
    c.expect(ok, "isolate: alerts flow from a camera process through an alert process")
    if not ok:
        print(open(os.path.join(tmp, "isolate-run.log")).read()[-3000:])
    c.expect(all(al["body"]["tag"] == "Apple" and al["systemProperties"]["connectionModuleId"] == "alerts"
                 for al in isolated_alerts()), "isolate: the alerts are the apple, from the alert module")
    # Snapshots across processes: the alert process asks the camera process for the frame.
    import cv2
    snap = isolated_alerts()[0]["body"].get("snapshot", "")
    img = cv2.imread(snap) if snap else None
    apple = cv2.imread(os.path.join(MEDIA, "apple1.jpg"))
    c.expect(img is not None and img.shape == apple.shape,
             "isolate: the alert's snapshot is the camera's frame (%s, %s)" % (snap, None if img is None else img.shape))
    cams = module_pids("cam")
    c.expect(len(cams) == 1 and len(module_pids("alerts")) == 1 and len(module_pids("fruit")) == 1,
             "isolate: one process per module (cam %s)" % cams)
    alert_started = modules().get("alerts", {}).get("startedAt")
    for pid in cams:
        os.kill(pid, signal.SIGKILL)
    c.expect(wait_for(lambda: modules().get("cam", {}).get("restartCount", 0) >= 1 and
                      modules().get("cam", {}).get("status") == "running", 30), "isolate: the killed camera is restarted: %s" % modules().get("cam"))
    r = run("logs", "cam", "--state-dir", state)
    c.expect("exited with code 137" in r.stdout, "isolate: its log records the kill (exit 137)")
    n = len(isolated_alerts())
    c.expect(wait_for(lambda: len(isolated_alerts()) > n, 30), "isolate: alerts flow again after the restart")
    c.expect(modules()["alerts"]["startedAt"] == alert_started and modules()["alerts"]["status"] == "running",
             "isolate: the alert module was not touched")
    # New rules in the manifest: the isolated alert module restarts at once with them (only Banana: no more apples).
    isolate_doc["modules"]["alerts"]["desired"] = {"only": ["Banana"]}
    rewrite(path, isolate_doc)
    c.expect(wait_for(lambda: "restarting to apply its new desired properties" in run("logs", "alerts", "--state-dir", state).stdout, 15),
             "isolate: the alert module restarts to apply new desired properties")
    # Apples already on their way may still land; then none for a while, though the camera keeps sending them.
    wait_for(lambda: unchanged_for(lambda: len(isolated_alerts()), 1.5), 20)
    c.expect(unchanged_for(lambda: len(isolated_alerts()), 2.5), "isolate: with only Banana, the apple alerts no more")
    proc.send_signal(signal.SIGTERM)
    c.expect(proc.wait(timeout=60) == 0, "isolate: SIGTERM stops it with exit 0")
    c.expect(wait_for(lambda: not module_pids("cam") and not module_pids("alerts"), 10), "isolate: no module process is left")

# --- 6. Desired properties for exec modules over MQTT; Docker-style health checks and on-unhealthy -----------------
state = os.path.join(tmp, "state-health")


def health_check(flag):
    # Run in the manifest's folder, every 0.2 s; unhealthy after 2 failures in a row.
    return json.dumps({"Healthcheck": {"Test": ["CMD-SHELL", "if [ -e %s ]; then echo feeling sick; exit 1; fi" % flag],
                                       "Interval": 200000000, "Timeout": 2000000000, "Retries": 2}})


health_doc = {
    "systemModules": {"edgeAgent": {"env": {"CoolOffTimeUnitInSeconds": {"value": "0.2"}}}},
    "modules": {
        "twin": {"settings": {"image": "vigil:exec /usr/bin/python3 " + os.path.join(TOOLS, "twin_module.py")},
                 "desired": {"threshold": 0.5}},
        "probed": {"settings": {"image": "vigil:exec sleep 600", "createOptions": health_check("sick")},
                   "restartPolicy": "on-unhealthy"},
        "watched": {"settings": {"image": "vigil:exec sleep 600", "createOptions": health_check("sick2")},
                    "restartPolicy": "on-failure"},
        # A camera whose stream is not there: lost, and after UNHEALTHY_SECONDS unhealthy.
        "deadcam": {"settings": {"image": "vigil:camera"}, "restartPolicy": "on-failure",
                    "env": {"VIDEO_PATH": {"value": "rtsp://127.0.0.1:%d/nothing" % free_port()},
                            "UNHEALTHY_SECONDS": {"value": "1"}, "RECONNECT_MAX_S": {"value": "0.5"}}}},
    "routes": {"up": "FROM /messages/modules/* INTO $upstream"}}
path = write(os.path.join(tmp, "health.json"), health_doc)
r = run("check", path)
c.expect("module probed (vigil:exec sleep 600) health check - OK" in r.stdout, "check: the health check's program is found:\n" + r.stdout)
proc = subprocess.Popen([a.vigil, "run", path, "--state-dir", state], stdout=subprocess.DEVNULL,
                        stderr=open(os.path.join(tmp, "health-run.log"), "w"))


def logs(module):
    return run("logs", module, "--state-dir", state).stdout


def listed():
    r = run("list", "--state-dir", state, "--json")
    return {m["name"]: m for m in json.loads(r.stdout)["modules"]} if r.returncode == 0 else {}


ok = wait_for(lambda: 'twin desired {"$version": 1, "threshold": 0.5}' in logs("twin"), 30)
c.expect(ok, "twin: the exec module got its desired properties (retained, with $version) over MQTT:\n" + logs("twin")[-600:])
if not ok:
    print(open(os.path.join(tmp, "health-run.log")).read()[-3000:])
c.expect('twin env desired {"threshold": 0.5}' in logs("twin"), "twin: and in VIGIL_DESIRED_PROPERTIES")
health_doc["modules"]["twin"]["desired"] = {"threshold": 0.8, "zones": {"door": [[0, 0], [1, 1]]}}
rewrite(path, health_doc)
c.expect(wait_for(lambda: 'twin desired {"$version": 2, "threshold": 0.8, "zones": {"door": [[0, 0], [1, 1]]}}' in logs("twin"), 15),
         "twin: a change in the manifest reaches the running module, version 2:\n" + logs("twin")[-600:])
c.expect(listed().get("twin", {}).get("restartCount") == 0, "twin: it was not restarted for it")
c.expect(wait_for(lambda: all(listed().get(n, {}).get("status") == "running" for n in ("probed", "watched")), 15),
         "health: passing checks, both running: %s" % {n: m.get("status") for n, m in listed().items()})
c.expect(wait_for(lambda: listed().get("deadcam", {}).get("status") == "unhealthy", 20),
         "health: a camera whose source stays lost is unhealthy: %s" % listed().get("deadcam"))
c.expect(listed()["deadcam"]["restartCount"] == 0, "health: on-failure leaves the camera to its own reconnecting")

open(os.path.join(tmp, "sick"), "w").close()
c.expect(wait_for(lambda: listed().get("probed", {}).get("restartCount", 0) >= 1, 20),
         "health: on-unhealthy restarts the module whose check fails: %s" % listed().get("probed"))
c.expect("unhealthy: 2 failed health checks in a row (last: exit code 1: feeling sick)" in logs("probed"),
         "health: the log says why, with the check's output:\n" + logs("probed")[-600:])
os.remove(os.path.join(tmp, "sick"))
c.expect(wait_for(lambda: listed().get("probed", {}).get("status") == "running", 30), "health: probed runs again")
# A restart for a check that failed just before the file went may still follow; then it stays up.
wait_for(lambda: unchanged_for(lambda: listed()["probed"]["restartCount"], 2), 30)
c.expect(unchanged_for(lambda: (listed()["probed"]["restartCount"], listed()["probed"]["status"]), 3),
         "health: healthy again, it stays up: %s" % listed()["probed"])

open(os.path.join(tmp, "sick2"), "w").close()
c.expect(wait_for(lambda: listed().get("watched", {}).get("status") == "unhealthy", 15),
         "health: on-failure shows the module unhealthy: %s" % listed().get("watched"))
c.expect("(unhealthy)" in run("list", "--state-dir", state).stdout, "health: vigil list says (unhealthy)")
c.expect(listed()["watched"]["restartCount"] == 0, "health: … and does not restart it")
os.remove(os.path.join(tmp, "sick2"))
c.expect(wait_for(lambda: listed().get("watched", {}).get("status") == "running", 15), "health: running again once the check passes")
c.expect("healthy again" in logs("watched"), "health: the log says it is healthy again")
proc.send_signal(signal.SIGTERM)
c.expect(proc.wait(timeout=60) == 0, "health: SIGTERM stops it with exit 0")

shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
