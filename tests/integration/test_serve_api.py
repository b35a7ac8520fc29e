#!/usr/bin/python3
"""`vigil serve` end to end: the tutorial's own requests, every Custom Vision route form, every bad input with
its status code (the server keeps answering), the Prediction-Key, concurrency, /health, /metrics, SIGTERM."""
import argparse, json, os, subprocess, sys, threading
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Vigil, FileServer, Checks, request, post_json, multipart

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
a = ap.parse_args()
media = os.path.join(a.shared, "media")
model = os.path.join(a.shared, "models", "cv-applebanana-tf")
if not os.path.isdir(model):
    print("SKIP: %s not found (the shared test data is needed)" % model)
    sys.exit(77)

c = Checks()
read = lambda n: open(os.path.join(media, n), "rb").read()
apple, banana, backpod = read("apple1.jpg"), read("banana1.jpg"), read("backpod.jpg")


def top(body):
    preds = json.loads(body)["predictions"]
    return max(preds, key=lambda p: p["probability"]) if preds else None


def is_tag(status, body, tag, what):
    ok = status == 200
    try:
        t = top(body)
        ok = ok and t is not None and t["tagName"] == tag and t["probability"] >= 0.9
    except Exception:
        ok = False
    c.expect(ok, "%s: expected %s, got %s %s" % (what, tag, status, body[:200]))


def error_is(resp, status, code, what):
    s, h, body = resp
    try:
        doc = json.loads(body)
    except Exception:
        doc = {}
    c.expect(s == status and doc.get("code") == code and doc.get("message"),
             "%s: expected %s %s, got %s %s" % (what, status, code, s, body[:200]))


files = FileServer(media)
v = Vigil(a.vigil, "--model", model)
alive = lambda what: c.expect(request(v.base + "/")[0] == 200, "server still answers after " + what)
try:
    s, h, body = request(v.base + "/")
    c.expect(s == 200 and body == b"CustomVision.ai model host harness", "GET / harness text: %r" % body)

    # The tutorial's README: curl -X POST http://127.0.0.1/url -d '{"url": "<image url>"}'
    out = subprocess.run(["curl", "-s", "-X", "POST", v.base + "/url", "-d",
                          json.dumps({"url": files.base + "/apple1.jpg"})], capture_output=True)
    is_tag(200, out.stdout, "Apple", "tutorial curl /url")
    # The tutorial's camera module: octet-stream POST of a JPEG.
    s, h, body = request(v.base + "/image", banana, {"Content-Type": "application/octet-stream"})
    is_tag(s, body, "Banana", "octet-stream /image")
    doc = json.loads(body)
    c.expect(set(doc) == {"id", "project", "iteration", "created", "predictions"}, "envelope keys %s" % list(doc))
    c.expect(all(set(p) == {"probability", "tagId", "tagName", "boundingBox"} and p["boundingBox"] is None
                 and p["tagId"] == "" for p in doc["predictions"]), "classification prediction shape")
    c.expect(h.get("Content-Type", "").startswith("application/json"), "JSON content type")

    # Every route form of the exported container.
    for path in ["/image/nostore", "/proj/image", "/proj/image/nostore", "/proj/classify/iterations/it1/image",
                 "/proj/classify/iterations/it1/image/nostore", "/proj/detect/iterations/it1/image"]:
        s, h, body = request(v.base + path, apple, {"Content-Type": "application/octet-stream"})
        is_tag(s, body, "Apple", "POST " + path)
    for path in ["/url/nostore", "/proj/url", "/proj/classify/iterations/it1/url/nostore",
                 "/proj/detect/iterations/it1/url"]:
        s, h, body = post_json(v.base + path, {"url": files.base + "/banana1.jpg"})
        is_tag(s, body, "Banana", "POST " + path)
    s, h, body = post_json(v.base + "/url", {"Url": files.base + "/apple1.jpg"})
    is_tag(s, body, "Apple", "the 'Url' key")

    # Multipart file field and urlencoded form field named imageData.
    mp, mh = multipart("imageData", "b.jpg", banana)
    s, h, body = request(v.base + "/image", mp, mh)
    is_tag(s, body, "Banana", "multipart imageData")
    import urllib.parse
    form = ("imageData=" + urllib.parse.quote_from_bytes(apple)).encode()
    s, h, body = request(v.base + "/image", form, {"Content-Type": "application/x-www-form-urlencoded"})
    is_tag(s, body, "Apple", "urlencoded form field imageData")
    s, h, body = request(v.base + "/image", backpod, {"Content-Type": "application/octet-stream"})
    c.expect(s == 200 and all(p["probability"] < 0.1 for p in json.loads(body)["predictions"]),
             "negative image below 0.1: %s" % body[:200])

    # Bad inputs: status, JSON error body, and the server keeps going.
    error_is(request(v.base + "/image", b"this is not an image", {"Content-Type": "application/octet-stream"}),
             400, "BadRequestImageFormat", "text body")
    alive("a text body")
    error_is(request(v.base + "/image", apple[: len(apple) // 8], {"Content-Type": "application/octet-stream"}),
             400, "BadRequestImageFormat", "truncated JPEG")
    error_is(request(v.base + "/image", b"", {"Content-Type": "application/octet-stream"}),
             400, "BadRequestImageFormat", "empty body")
    error_is(request(v.base + "/image", b"\xff\xd8\xff" + b"\0" * (4 * 1024 * 1024 + 10),
                     {"Content-Type": "application/octet-stream"}), 413, "BadRequestImageSizeBytes", "5 MB body")
    alive("a 5 MB body")
    error_is(request(v.base + "/url", b"{not json", {"Content-Type": "application/json"}), 400, "BadRequest", "bad JSON")
    error_is(post_json(v.base + "/url", {"link": "x"}), 400, "BadRequestImageUrl", "no url key")
    error_is(post_json(v.base + "/url", {"url": "file:///etc/passwd"}), 400, "BadRequestImageUrl", "file: url")
    error_is(post_json(v.base + "/url", {"url": files.base + "/missing.jpg"}), 400, "BadRequestImageUrl", "404 url")
    error_is(post_json(v.base + "/url", {"url": "http://127.0.0.1:1/x.jpg"}), 400, "BadRequestImageUrl", "refused url")
    error_is(post_json(v.base + "/url", {"url": files.base + "/big"}), 400, "BadRequestImageSizeBytes", "5 MB url")
    error_is(post_json(v.base + "/url", {"url": files.base + "/PROVENANCE.md"}), 400, "BadRequestImageFormat",
             "url that is not an image")
    error_is(request(v.base + "/no/such/route/here"), 404, "NotFound", "unknown route")
    error_is(request(v.base + "/image"), 405, "MethodNotAllowed", "GET on /image")
    alive("all bad inputs")

    # Many clients at once, each must get its own image's answer (the model is not shared between calls).
    wrong = []

    def client(i):
        for k in range(6):
            img, tag = (apple, "Apple") if (i + k) % 2 == 0 else (banana, "Banana")
            s, h, body = request(v.base + "/image", img, {"Content-Type": "application/octet-stream"})
            if s != 200 or top(body)["tagName"] != tag:
                wrong.append((s, body[:100]))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    c.expect(not wrong, "16 concurrent clients all answered correctly: %s" % wrong[:3])

    s, h, body = request(v.base + "/health")
    health = json.loads(body)
    c.expect(s == 200 and health["status"] == "ok" and health["model"]["labels"] == ["Apple", "Banana"],
             "health: %s" % body)
    s, h, body = request(v.base + "/metrics")
    text = body.decode()
    c.expect(s == 200 and 'vigil_http_requests_total{route="image",status="400"} 3' in text,
             "metrics count the three bad images")
    c.expect('vigil_http_requests_total{route="other",status="404"} 1' in text, "metrics count the 404")
    c.expect("vigil_inference_duration_seconds_count" in text, "metrics have inference time")
finally:
    rc = v.stop()
    c.expect(rc == 0, "SIGTERM stops vigil serve with status 0 (got %s)" % rc)

# Prediction-Key.
v = Vigil(a.vigil, "--model", model, "--prediction-key", "s3cret")
try:
    error_is(request(v.base + "/image", apple, {"Content-Type": "application/octet-stream"}), 401, "Unauthorized", "no key")
    error_is(request(v.base + "/image", apple, {"Prediction-Key": "wrong!"}), 401, "Unauthorized", "wrong key")
    s, h, body = request(v.base + "/image", apple, {"Prediction-Key": "s3cret"})
    is_tag(s, body, "Apple", "right key")
finally:
    v.stop()

# A detector: boxes and integer tag ids, sorted by probability.
ymodel = os.path.join(a.shared, "models", "yolo-fastest-1.1-xl-coco")
v = Vigil(a.vigil, "--model", ymodel)
try:
    s, h, body = request(v.base + "/image", read("dog.jpg"), {"Content-Type": "application/octet-stream"})
    preds = json.loads(body)["predictions"]
    tags = {p["tagName"] for p in preds if p["probability"] >= 0.5}
    c.expect(s == 200 and {"dog", "bicycle", "car"} <= tags, "detector finds dog, bicycle, car: %s" % tags)
    c.expect(all(isinstance(p["tagId"], int) and set(p["boundingBox"]) == {"left", "top", "width", "height"}
                 for p in preds), "detection prediction shape")
    probs = [p["probability"] for p in preds]
    c.expect(probs == sorted(probs, reverse=True), "sorted by probability")
finally:
    v.stop()
files.stop()

# A port that is taken gives a clear message and exit 1.
blocker = Vigil(a.vigil, "--model", "builtin:person")
try:
    out = subprocess.run([a.vigil, "serve", "--model", "builtin:person", "--host", "127.0.0.1",
                          "--port", str(blocker.port)], capture_output=True, text=True, timeout=60)
    c.expect(out.returncode == 1 and "cannot listen" in out.stderr, "busy port: %s" % out.stderr)
finally:
    blocker.stop()
sys.exit(c.done())
