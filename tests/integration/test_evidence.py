#!/usr/bin/python3
"""Evidence, with the real binary, the real COCO detector, the street clip (tests/tools/make_street_clip.py) made into
H.264 by Debian's ffmpeg, and GStreamer's RTSP server serving that H.264 as a camera would. One `vigil run` with two
cameras and the security-camera rules:
- "driveway" reads the RTSP stream (FFmpeg backend): each person's alert gets a clip that starts PRE_ROLL_S before
  the alert's frame (to the keyframe at or before it), lasts past POST_ROLL_S, is H.264 with the stream's own
  parameters, and was not re-encoded — its decoded frames are bit-identical to frames of the source file;
- "yard" reads the MJPEG file through OpenCV (no packets): its clips are encoded (H.264) and readable;
- a "clip" follow-up message names each clip; the alert index has it;
- the preview and review page (PREVIEW_USERS, on loopback) answer 401 to every page and API without a login, and a
  bearer token opens the APIs; headless Chromium logs in, lists the alerts, filters by camera, opens one whose
  <video> loads its clip through HTTP range requests (206), marks it reviewed, and shows it on a phone-sized screen;
  screenshots go to docs/images/."""
import argparse, json, os, shutil, subprocess, sys, tempfile, urllib.parse
import cv2
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port, request, terminate, wait_port
from camera_harness import Tool, wait_for, TOOLS
from chromium import Chromium

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
ap.add_argument("--source", required=True)
a = ap.parse_args()
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
DETECTOR = os.path.join(os.path.abspath(a.shared), "models", "yolo-fastest-1.1-xl-coco")
if not os.path.exists(VTEST) or not os.path.isdir(DETECTOR) or not shutil.which("ffmpeg"):
    print("SKIP: needs %s, %s and ffmpeg (scripts/install-deps)" % (VTEST, DETECTOR))
    sys.exit(77)
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-evidence-test-")
subprocess.run(["/usr/bin/python3", os.path.join(TOOLS, "make_street_clip.py"), tmp], check=True, stdout=subprocess.DEVNULL)
STREET_AVI = os.path.join(tmp, "street.avi")
STREET_MP4 = os.path.join(tmp, "street.mp4")
# A keyframe every second, as cameras send them; no B-frames reordering surprises beyond what x264 does by default.
subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", STREET_AVI, "-c:v", "libx264", "-preset", "veryfast", "-g", "10",
                "-pix_fmt", "yuv420p", STREET_MP4], check=True)
PRE, POST = 5.0, 4.0
USER, PASSWORD, TOKEN = "alice", "correct horse battery", "t0ken-for-the-evidence-test-0123456789"


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                        "stream=codec_name,profile,level,width,height,pix_fmt,nb_read_packets,duration",
                        "-of", "json", path], capture_output=True, text=True)
    j = json.loads(r.stdout or "{}")
    s = (j.get("streams") or [{}])[0]
    s["duration"] = float(s.get("duration", 0) or 0)
    s["nb_read_packets"] = int(s.get("nb_read_packets", 0) or 0)
    return s


def frames_of(path):
    cap, out = cv2.VideoCapture(path), []
    while True:
        ok, f = cap.read()
        if not ok:
            return out
        out.append(f)


def manifest(rtsp_url, port, users):
    camera = lambda video, extra: {"settings": {"image": "vigil:camera"}, "env": dict(
        {"VIDEO_PATH": {"value": video}, "IMAGE_PROCESSING_ENDPOINT": {"value": "http://detector/image"},
         "SHOW_VIDEO": {"value": "true"}, "MAX_FPS": {"value": "5"}, "PREVIEW_HOST": {"value": "127.0.0.1"},
         "PREVIEW_PORT": {"value": str(port)}, "PREVIEW_USERS": {"value": users}, "PREVIEW_TOKEN": {"value": TOKEN},
         "PRE_ROLL_S": {"value": str(PRE)}, "POST_ROLL_S": {"value": str(POST)}, "RECONNECT_MAX_S": {"value": "1"}},
        **{k: {"value": v} for k, v in extra.items()})}
    example = json.load(open(os.path.join(a.source, "examples", "security-camera", "deployment.json")))
    rules = example["modules"]["alerts"]["desired"]
    return {"modules": {"driveway": camera(rtsp_url, {}),
                        "yard": camera(STREET_AVI, {"CAPTURE_BACKEND": "opencv", "LOOP_VIDEO": "false"}),
                        "detector": {"settings": {"image": "vigil:vision " + DETECTOR}},
                        "alerts": {"settings": {"image": "vigil:alert"}, "desired": rules}},
            "routes": {"d": "FROM /messages/modules/driveway/outputs/output1 INTO BrokeredEndpoint(\"/modules/alerts/inputs/input1\")",
                       "y": "FROM /messages/modules/yard/outputs/output1 INTO BrokeredEndpoint(\"/modules/alerts/inputs/input1\")",
                       "up": "FROM /messages/modules/alerts/outputs/output1 INTO $upstream"},
            "uplinks": ["file:alerts.jsonl"]}


def messages(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l)["body"] for l in f if l.strip()]


def test_clips(state, sent):
    clips = lambda camera: [m for m in messages(sent) if m.get("event") == "clip" and m.get("camera") == camera]
    c.expect(wait_for(lambda: clips("driveway") and clips("yard"), 150),
             "a clip follow-up for each camera: %s" % [(m.get("camera"), m.get("event")) for m in messages(sent)])
    source = probe(STREET_MP4)
    source_frames = frames_of(STREET_MP4)
    for m in clips("driveway")[:2]:
        info = probe(m["clip"])
        c.expect(os.path.dirname(os.path.abspath(m["clip"])) == os.path.join(state, "clips"), "the clip is in clips/: %s" % m["clip"])
        c.expect(all(info.get(k) == source.get(k) for k in ("codec_name", "profile", "level", "width", "height", "pix_fmt")),
                 "RTSP clip: the stream's own H.264 parameters %s vs the source %s" % (info, source))
        c.expect(PRE - 0.05 <= m["preRollSeconds"] < PRE + 1.05, "RTSP clip: starts at the keyframe at or before %s s before the alert: %s" % (PRE, m["preRollSeconds"]))
        c.expect(info["duration"] >= PRE + POST - 0.2, "RTSP clip: at least pre + post roll long: %.2f s" % info["duration"])
        c.expect(abs(info["duration"] - m["clipSeconds"]) < 0.15 and os.path.getsize(m["clip"]) == m["clipBytes"],
                 "the follow-up's clipSeconds and clipBytes match the file: %s vs %.2f s" % (m, info["duration"]))
        frames = frames_of(m["clip"])
        c.expect(len(frames) == info.get("nb_read_packets") and len(frames) >= 10 * (PRE + POST) - 2,
                 "RTSP clip: every frame decodes: %d of %s" % (len(frames), info.get("nb_read_packets")))
        # Remuxed, not re-encoded: each decoded frame is bit-identical to a frame of the source file.
        same = [any(np.array_equal(f, s) for s in source_frames) for f in frames[:: max(1, len(frames) // 5)]]
        c.expect(same and all(same), "RTSP clip: its frames are the source's own, bit for bit: %s" % same)
    for m in clips("yard")[:1]:
        info = probe(m["clip"])
        frames = frames_of(m["clip"])
        c.expect(info.get("codec_name") == "h264" and len(frames) >= 5, "raw source: the clip is encoded as H.264 and reads back: %s, %d frames" % (info, len(frames)))
        c.expect(info["duration"] >= PRE + POST - 1.5, "raw source: the clip spans its pre and post roll: %.2f s" % info["duration"])
    return clips("driveway")[0]


def test_access(base):
    for path in ["/", "/alerts", "/api/alerts", "/api/status", "/snapshot.jpg", "/stream.mjpg", "/metrics", "/clips/x.mp4",
                 "/snapshots/x.jpg", "/app.js"]:
        status, _, _ = request(base + path)
        c.expect(status == 401, "without a login %s answers 401: %d" % (path, status))
    status, _, body = request(base + "/alerts", headers={"Accept": "text/html"})
    c.expect(status == 401 and b'action="/login"' in body, "a page asked for without a login shows the login form")
    status, _, _ = request(base + "/api/alerts", headers={"Authorization": "Bearer " + TOKEN})
    c.expect(status == 200, "the bearer token opens the API: %d" % status)
    status, _, _ = request(base + "/api/alerts", headers={"Authorization": "Bearer wrong-token-wrong-token"})
    c.expect(status == 401, "a wrong token does not: %d" % status)


def test_login_limit(base):
    form = urllib.parse.urlencode({"user": USER, "password": "wrong"}).encode()
    codes = [request(base + "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}, "POST")[0] for _ in range(6)]
    c.expect(codes[:5] == [401] * 5 and codes[5] == 429, "wrong passwords: 401, then 429 after five a minute: %s" % codes)


def test_range(base, clip):
    auth = {"Authorization": "Bearer " + TOKEN}
    alert_id = clip["alertId"]
    status, headers, body = request(base + "/clips/%s.mp4" % alert_id, headers=dict(auth, Range="bytes=100-199"))
    whole = open(clip["clip"], "rb").read()
    c.expect(status == 206 and body == whole[100:200] and headers.get("Content-Range", "").startswith("bytes 100-199/"),
             "a range request answers 206 with those bytes: %d %s" % (status, headers.get("Content-Range")))
    status, _, j = request(base + "/api/alerts/" + alert_id, headers=auth)
    j = json.loads(j) if status == 200 else {}
    c.expect(j.get("clipState") == "ready" and j.get("clip") == "/clips/%s.mp4" % alert_id, "the index has the clip: %s" % j)


def test_browser(base):
    browser = Chromium(1280, 900)
    shots = os.path.join(a.source, "docs", "images")
    os.makedirs(shots, exist_ok=True)
    try:
        browser.open(base + "/alerts")
        c.expect(wait_for(lambda: browser.evaluate("!!document.querySelector('form.login')"), 20), "Chromium: /alerts asks for a login")
        browser.screenshot(os.path.join(shots, "login.png"))
        browser.evaluate("""(() => { const f = document.querySelector('form.login');
            f.user.value = %s; f.password.value = %s; f.submit(); })()""" % (json.dumps(USER), json.dumps(PASSWORD)))
        items = lambda: browser.evaluate("document.querySelectorAll('#alerts li').length") or 0
        c.expect(wait_for(lambda: items() > 0, 30), "Chromium: logged in, the alerts are listed: %d" % items())
        browser.evaluate("(() => { const s = document.querySelector('select[name=camera]'); s.value = 'yard'; s.dispatchEvent(new Event('change')); })()")
        cams = lambda: browser.evaluate("[...document.querySelectorAll('#alerts li .what')].map(e => e.textContent)") or []
        c.expect(wait_for(lambda: cams() and all("yard" in t for t in cams()), 15), "Chromium: the camera filter keeps yard's alerts: %s" % cams())
        browser.evaluate("(() => { const s = document.querySelector('select[name=camera]'); s.value = ''; s.dispatchEvent(new Event('change')); })()")
        wait_for(lambda: any("driveway" in t for t in cams()), 15)
        browser.evaluate("[...document.querySelectorAll('#alerts li')].find(li => li.textContent.includes('▶') && li.textContent.includes('driveway')).click()")
        loaded = lambda: browser.evaluate("(() => { const v = document.getElementById('clip'); return !v.hidden && v.readyState >= 1 && v.duration > 0 ? v.duration : 0; })()")
        c.expect(wait_for(loaded, 20), "Chromium: the alert's <video> loads its clip: %s s" % loaded())
        browser.evaluate("document.getElementById('clip').currentTime = 3")
        wait_for(lambda: browser.evaluate("document.getElementById('clip').readyState >= 2"), 10)
        browser.screenshot(os.path.join(shots, "review.png"))
        shown = browser.evaluate("document.getElementById('detail').dataset.id")
        browser.evaluate("document.getElementById('reviewed').click()")
        reviewed = lambda: json.loads(request(base + "/api/alerts/" + shown, headers={"Authorization": "Bearer " + TOKEN})[2]).get("reviewed")
        c.expect(wait_for(reviewed, 10), "Chromium: mark reviewed reaches the index")
        # On a phone: one column, nothing wider than the screen.
        browser.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        browser.open(base + "/alerts?id=" + shown)
        c.expect(wait_for(lambda: items() > 0 and browser.evaluate("!document.getElementById('detail').hidden"), 20),
                 "Chromium, phone size: the list and the alert are shown")
        wide = browser.evaluate("document.documentElement.scrollWidth")
        c.expect(wide is not None and wide <= 390, "Chromium, phone size: nothing wider than the screen: %s px" % wide)
        browser.screenshot(os.path.join(shots, "review-phone.png"))
        browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        browser.open(base + "/")
        recent = lambda: browser.evaluate("document.querySelectorAll('.recent li img').length") or 0
        c.expect(wait_for(lambda: recent() > 0, 20), "Chromium: the live page shows the latest alerts with thumbnails")
        browser.screenshot(os.path.join(shots, "live.png"))
    finally:
        browser.close()


def main():
    users = subprocess.run([a.vigil, "passwd", USER], input=PASSWORD + "\n", capture_output=True, text=True).stdout.strip()
    c.expect(users.startswith(USER + ":pbkdf2-sha256.") and PASSWORD not in users, "vigil passwd prints NAME:HASH: %s" % users[:40])
    rtsp = Tool("rtsp_server.py", 0, STREET_MP4)
    port = free_port()
    path = os.path.join(tmp, "deployment.json")
    json.dump(manifest("rtsp://127.0.0.1:%d/cam" % rtsp.port, port, users), open(path, "w"))
    state = os.path.join(tmp, "state")
    log = open(os.path.join(tmp, "vigil.log"), "w")
    proc = subprocess.Popen([a.vigil, "run", path, "--state-dir", state], stdout=log, stderr=subprocess.STDOUT)
    try:
        c.expect(wait_port(port, 60), "the preview listens")
        base = "http://127.0.0.1:%d" % port
        test_access(base)
        clip = test_clips(state, os.path.join(tmp, "alerts.jsonl"))
        if clip:
            test_range(base, clip)
            test_browser(base)
        test_login_limit(base)
    finally:
        terminate(proc)
        rtsp.stop()
    if c.failures:
        print(open(os.path.join(tmp, "vigil.log")).read()[-4000:])


main()
sys.exit(c.done())
