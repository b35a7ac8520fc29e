#!/usr/bin/python3
"""The camera module as a user runs it (`vigil camera`, tutorial settings as environment variables) with
real media and real protocols on loopback: vtest.avi through the real detector, an HTTP prediction endpoint
(vigil serve, and a recording server that shows exactly what is sent), an RTSP stream from GStreamer's RTSP
server and an HTTP MJPEG camera that go down and come back, missing sources, bad settings, and the
preview's endpoints."""
import argparse, http.server, json, os, re, shutil, socket, sys, tempfile, threading, time
import cv2, numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port, Vigil, request, stays_up
from camera_harness import Camera, Tool, wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
a = ap.parse_args()
c = Checks()
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
tmp = tempfile.mkdtemp(prefix="vigil-camera-test-")
media = os.path.join(a.shared, "media")
models = os.path.join(a.shared, "models")
counter = [0]


def out_file():
    counter[0] += 1
    return os.path.join(tmp, "out%d.jsonl" % counter[0])


def status(cam):
    code, _, body = request(cam.base + "/api/status")
    return json.loads(body)["cameras"][0] if code == 200 else None


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# --- 1. vtest.avi through the real COCO detector, every frame (REALTIME=false), in-process --------------
print("== vtest.avi, yolo-fastest-1.1-xl-coco in-process", flush=True)
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": VTEST, "LOOP_VIDEO": "False", "REALTIME": "false",
                                   "IMAGE_PROCESSING_ENDPOINT": os.path.join(models, "yolo-fastest-1.1-xl-coco"),
                                   "CAMERA_ID": "street"}, "--frames", "40", preview=False)
rc = cam.proc.wait(timeout=300)
c.expect(rc == 0, "vigil camera exits 0 after --frames: %s" % "".join(cam.log[-5:]))
msgs = cam.messages("output1")
c.expect(len(msgs) >= 38, "a prediction on output1 for (nearly) every frame: %d" % len(msgs))
numbers = [int(m["properties"]["frameNumber"]) for m in msgs]
c.expect(numbers == sorted(numbers) and len(set(numbers)) == len(numbers), "frame numbers increase")
c.expect(numbers[:3] == [1, 2, 3], "lossless: frames 1, 2, 3 first: %s" % numbers[:3])
c.expect(all(m["properties"]["camera"] == "street" for m in msgs), "camera property from CAMERA_ID")
c.expect(all(ISO.match(m["properties"]["captureTime"]) for m in msgs), "captureTime is ISO 8601 UTC")
c.expect(all(m["contentType"] == "application/json" and m["contentEncoding"] == "utf-8" for m in msgs),
         "content type and encoding")
c.expect(all(m["systemProperties"]["outputName"] == "output1" and m["systemProperties"]["messageId"] for m in msgs),
         "system properties")
persons = [sum(1 for p in m["body"]["predictions"] if p["tagName"] == "person" and p["probability"] > 0.5) for m in msgs]
c.expect(min(persons) >= 2 and max(persons) >= 4, "people found in every frame (PROVENANCE: >= 3 on frame 0): %s" % persons[:10])
boxes_ok = all(0 <= p["boundingBox"]["left"] <= 1 and 0 < p["boundingBox"]["width"] <= 1
               for m in msgs for p in m["body"]["predictions"])
c.expect(boxes_ok, "normalised boxes")
c.expect(cam.states()[:1] == ["live"], "health: live first: %s" % cam.states())

# --- 2. The tutorial's wiring: JPEG POSTs to a prediction server (vigil serve) ---------------------------
print("== image folder -> HTTP endpoint (vigil serve, Apple/Banana)", flush=True)
folder = os.path.join(tmp, "fruit")
os.makedirs(folder)
for i, name in enumerate(["apple1.jpg", "banana1.jpg", "apple2.jpg", "banana2.jpg"]):
    shutil.copy(os.path.join(media, name), os.path.join(folder, "%02d-%s" % (i, name)))
server = Vigil(a.vigil, "--model", os.path.join(models, "cv-applebanana-tf"))
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": folder, "LOOP_VIDEO": "False", "REALTIME": "False",
                                   "MOTION_GATE": "false",
                                   "IMAGE_PROCESSING_ENDPOINT": server.base + "/image"}, preview=False)
rc = cam.proc.wait(timeout=120)
c.expect(rc == 0, "a non-looping folder ends the camera with 0")
tops = [max(m["body"]["predictions"], key=lambda p: p["probability"])["tagName"] for m in cam.messages("output1")]
c.expect(tops == ["Apple", "Banana", "Apple", "Banana"], "Apple/Banana answers through HTTP: %s" % tops)
c.expect(cam.states() == ["live", "ended"], "health live then ended: %s" % cam.states())
server.stop()

# --- 3. What exactly is sent: a recording endpoint; params, resize, gray; endpoint down then up ---------
print("== recording endpoint: params, resize, gray; endpoint down then back", flush=True)
seen = []
ENVELOPE = json.dumps({"id": "", "project": "", "iteration": "", "created": "2026-01-01T00:00:00Z",
                       "predictions": [{"probability": 0.9, "tagId": "", "tagName": "Apple", "boundingBox": None}]})


class Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen.append((self.path, self.headers.get("Content-Type"), body))
        out = ENVELOPE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


port = free_port()
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": os.path.join(media, "dog.jpg"), "CAPTURE_FPS": "5",
                                   "MOTION_GATE": "false", "RESIZE_WIDTH": "256", "RESIZE_HEIGHT": "256",
                                   "CONVERT_TO_GRAY": "True",
                                   "IMAGE_PROCESSING_PARAMS": '{"iterationId": "it 1", "application": "vigil"}',
                                   "IMAGE_PROCESSING_ENDPOINT": "http://127.0.0.1:%d/image" % port})
errs = wait_for(lambda: (status(cam) or {}).get("frames", {}).get("errors", 0) >= 3, 20)
c.expect(errs, "endpoint down: inference errors are counted")
st = status(cam)
c.expect(st and "127.0.0.1:%d" % port in st.get("last_error", ""), "the error names the endpoint: %s" % (st or {}).get("last_error"))
c.expect(cam.proc.poll() is None and cam.messages("output1") == [], "the camera keeps running; nothing sent yet")
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Recorder)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
got = wait_for(lambda: len(cam.messages("output1")) >= 3, 20)
c.expect(got, "endpoint back: predictions flow again on the next frames")
st = status(cam)
c.expect(st and st["last_error"] == "", "the error clears once the endpoint answers")
c.expect(cam.stop() == 0, "SIGTERM: exit 0")
httpd.shutdown()
c.expect(len(seen) >= 3, "frames reached the endpoint")
if seen:
    path, ctype, body = seen[0]
    c.expect(path == "/image?iterationId=it%201&application=vigil", "IMAGE_PROCESSING_PARAMS as query: %s" % path)
    c.expect(ctype == "application/octet-stream", "octet-stream body, as the tutorial posts: %s" % ctype)
    img = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    c.expect(img is not None and img.shape[:2] == (256, 256), "RESIZE_WIDTH/HEIGHT: %s" % ((None,) if img is None else (img.shape,)))
    if img is not None:
        spread = int(np.abs(img[:, :, 0].astype(int) - img[:, :, 2].astype(int)).max())
        c.expect(spread <= 8, "CONVERT_TO_GRAY: channels equal up to JPEG noise (max diff %d)" % spread)
body = cam.messages("output1")[0]["body"] if cam.messages("output1") else {}
c.expect(body.get("predictions", [{}])[0].get("tagName") == "Apple", "the endpoint's answer is the message body")

# --- 4. RTSP from GStreamer's RTSP server: live, server stopped -> lost and retrying, back -> live ------
print("== RTSP stream down and up", flush=True)
rtsp = Tool("rtsp_server.py", 0)
rport = rtsp.port
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": "rtsp://127.0.0.1:%d/cam" % rport, "RECONNECT_MAX_S": "1",
                                   "STALL_SECONDS": "3"})
c.expect(wait_for(lambda: (status(cam) or {}).get("health", {}).get("state") == "live", 30), "RTSP source goes live")
c.expect(wait_for(lambda: status(cam)["frames"]["captured"] >= 5, 15), "RTSP frames flow: %d" % status(cam)["frames"]["captured"])
code, headers, jpg = request(cam.base + "/snapshot.jpg")
img = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR) if code == 200 else None
c.expect(img is not None and img.shape[:2] == (240, 320), "snapshot of the RTSP frame at its size")
rtsp.stop()
c.expect(wait_for(lambda: status(cam)["health"]["state"] in ("lost", "stalled"), 20), "server stopped: source lost")
c.expect(wait_for(lambda: status(cam)["health"]["state"] == "lost", 20), "… and reported lost: %s" % status(cam)["health"])
c.expect(stays_up(cam.proc, 2), "the process stays up while the stream is down (reconnecting every second)")
code, _, _ = request(cam.base + "/snapshot.jpg")
c.expect(code == 200, "the preview still shows the last frame while the source is down")
rtsp = Tool("rtsp_server.py", rport)
c.expect(wait_for(lambda: status(cam)["health"]["state"] == "live", 30), "server back: live again")
after = status(cam)["frames"]["captured"]
c.expect(wait_for(lambda: status(cam)["frames"]["captured"] >= after + 5, 10), "frames flow again")
c.expect(cam.stop() == 0, "SIGTERM: exit 0")
rtsp.stop()
states = cam.states()
c.expect(states[:1] == ["live"] and "lost" in states and states[-1] == "live", "health messages: %s" % states)
reconnects = [m for m in cam.messages("health") if m["body"]["state"] == "lost"]
c.expect(all(m["body"]["source"].startswith("rtsp://") and m["body"]["reason"] for m in reconnects),
         "lost messages name the source and the reason")

# --- 5. An HTTP MJPEG camera, down and up -----------------------------------------------------------------
print("== HTTP MJPEG stream down and up", flush=True)
mj = Tool("mjpeg_server.py", VTEST, 0)
mport = mj.port
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": "http://127.0.0.1:%d/video.mjpg" % mport, "RECONNECT_MAX_S": "1",
                                   "IMAGE_PROCESSING_ENDPOINT": "builtin:person"})
c.expect(wait_for(lambda: (status(cam) or {}).get("health", {}).get("state") == "live", 30), "MJPEG source goes live")
c.expect(wait_for(lambda: status(cam)["frames"]["inferred"] >= 3, 20), "MJPEG frames reach the model")
mj.stop()
c.expect(wait_for(lambda: status(cam)["health"]["state"] == "lost", 30), "MJPEG server stopped: lost")
mj = Tool("mjpeg_server.py", VTEST, mport)
c.expect(wait_for(lambda: status(cam)["health"]["state"] == "live", 30), "MJPEG server back: live again")
n = status(cam)["frames"]["inferred"]
c.expect(wait_for(lambda: status(cam)["frames"]["inferred"] > n + 2, 20), "inference resumes")
people = lambda: [m for m in cam.messages("output1") if any(p["tagName"] == "person" for p in m["body"]["predictions"])]
c.expect(wait_for(lambda: len(people()) >= 3, 30), "people detected in the MJPEG stream: %d" % len(people()))
c.expect(cam.stop() == 0, "SIGTERM: exit 0")
mj.stop()

# --- 6. Missing sources: a clear state and message; the process stays up ---------------------------------
print("== missing file and device", flush=True)
for path, words in (("/nonexistent/clip.avi", "does not exist"), ("/dev/video9", "cannot open camera")):
    cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": path})
    st = wait_for(lambda: (status(cam) or {}).get("health", {}).get("state") == "lost" and status(cam), 20)
    c.expect(st and words in st["health"]["reason"], "%s: lost, '%s': %s" % (path, words, st and st["health"]))
    code, _, body = request(cam.base + "/snapshot.jpg")
    c.expect(code == 503 and words in json.loads(body)["message"], "%s: snapshot says why there is no frame" % path)
    c.expect(stays_up(cam.proc, 1.5), "%s: the process stays up" % path)
    c.expect(cam.stop() == 0, "%s: SIGTERM exit 0" % path)

# --- 7. Bad settings stop start-up with the setting's name ------------------------------------------------
print("== bad settings", flush=True)
import subprocess
for env, name in (({"SHOW_VIDEO": "maybe"}, "SHOW_VIDEO"), ({"RESIZE_WIDTH": "wide"}, "RESIZE_WIDTH"),
                  ({"IMAGE_PROCESSING_ENDPOINT": "/no/such/model"}, "IMAGE_PROCESSING_ENDPOINT"),
                  ({"VIDEO_PATH": "ftp://x/y"}, "VIDEO_PATH")):
    e = dict(os.environ)
    e.update(env)
    r = subprocess.run([a.vigil, "camera"], env=e, capture_output=True, text=True, timeout=60)
    c.expect(r.returncode == 2 and name in r.stderr, "%s: exit 2 naming it: %d %s" % (name, r.returncode, r.stderr.strip()))

# --- 8. The preview's endpoints -----------------------------------------------------------------------------
print("== preview endpoints", flush=True)
cam = Camera(a.vigil, out_file(), {"VIDEO_PATH": VTEST, "IMAGE_PROCESSING_ENDPOINT": "builtin:person", "CAMERA_ID": "yard"})
c.expect(wait_for(lambda: (status(cam) or {}).get("frame_sequence", 0) >= 2, 20), "frames reach the preview")
code, headers, page = request(cam.base + "/")
c.expect(code == 200 and headers["Content-Type"].startswith("text/html") and b"app.js" in page, "the page")
for f, t in (("app.js", "text/javascript"), ("style.css", "text/css")):
    code, headers, _ = request(cam.base + "/" + f)
    c.expect(code == 200 and headers["Content-Type"].startswith(t), "/%s served from the binary" % f)
code, headers, jpg = request(cam.base + "/snapshot.jpg?camera=yard")
img = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR) if code == 200 else None
c.expect(img is not None and img.shape[:2] == (576, 768), "snapshot.jpg is the frame at the source's size")
code, _, _ = request(cam.base + "/snapshot.jpg?camera=nope")
c.expect(code == 404, "unknown camera: 404")
s = socket.create_connection(("127.0.0.1", cam.port), timeout=10)
s.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
deadline = time.time() + 10
while data.count(b"--vigilframe") < 4 and time.time() < deadline:
    data += s.recv(65536)
s.close()
c.expect(b"multipart/x-mixed-replace; boundary=vigilframe" in data.split(b"\r\n\r\n")[0], "MJPEG content type")
parts = data.split(b"--vigilframe")[1:]
c.expect(len(parts) >= 3, "the MJPEG stream delivers frame after frame: %d" % len(parts))
if len(parts) >= 2:
    jpg = parts[1].split(b"\r\n\r\n", 1)[1]
    c.expect(cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR) is not None, "each part is a JPEG")
code, _, metrics = request(cam.base + "/metrics")
c.expect(code == 200 and b'vigil_camera_frames_captured_total{camera="yard"}' in metrics and
         b'vigil_camera_health{camera="yard",state="live"} 1' in metrics, "camera metrics on /metrics")
st = wait_for(lambda: status(cam)["fps"] > 0 and status(cam), 10)
c.expect(st and st["camera"] == "yard" and st["source_kind"] == "file" and st["fps"] > 0, "status JSON: %s" % st)
c.expect(cam.stop() == 0, "SIGTERM with an open MJPEG client: exit 0")

shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
