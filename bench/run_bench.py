#!/usr/bin/python3
"""What the whole deployment costs over the camera alone: the tutorial's deployment (examples/tutorial, only its
image fields changed) run by `vigil replay` — camera, in-process Apple/Banana model, hub, alert module, durable
outbox, uplink — against `vigil camera` alone with the same settings, and against the seed-equivalent pipeline
(camera_pipeline.py -> vision_server.py, the tutorial's design) in the same run. Every frame of vtest.avi is
inferred (REALTIME=false, MOTION_GATE=false), resized to 256x256 as the tutorial's camera module does.
CPU per frame excludes start-up: each pipeline also runs a short clip, and the difference is divided by the
difference in frames. usage: bench/run_bench.py [--short 50]"""
import argparse, json, os, re, resource, shutil, signal, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
VIGIL = os.path.join(ROOT, "build", "vigil")
BASE = os.path.join(SHARED, "baselines", "seed-equivalent")
MODEL = os.path.join(SHARED, "models", "cv-applebanana-tf")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
ap = argparse.ArgumentParser()
ap.add_argument("--short", type=int, default=50)
a = ap.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import cpu_seconds, free_port, wait_port  # noqa: E402

tmp = tempfile.mkdtemp(prefix="vigil-run-bench-")
# examples/tutorial where the tutorial's repository has it: its model export in Modules/CustomVisionModule/app.
os.makedirs(os.path.join(tmp, "tutorial", "Modules", "CustomVisionModule"))
for name in ("deployment.template.json", ".env"):
    shutil.copy(os.path.join(ROOT, "examples", "tutorial", name), os.path.join(tmp, "tutorial"))
os.symlink(MODEL, os.path.join(tmp, "tutorial", "Modules", "CustomVisionModule", "app"))
TEMPLATE = os.path.join(tmp, "tutorial", "deployment.template.json")
SHORT = os.path.join(tmp, "short.avi")
subprocess.run(["/usr/bin/python3", "-c", """
import cv2, sys
c = cv2.VideoCapture(sys.argv[1]); w = None
for i in range(int(sys.argv[3])):
    ok, f = c.read()
    if w is None: w = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter_fourcc(*'MJPG'), 10, (f.shape[1], f.shape[0]))
    w.write(f)
w.release()""", VTEST, SHORT, str(a.short)], check=True)
FULL_FRAMES = 795
# The worst case for the alert path: every frame an Apple above 60 %, so every frame is an alert written to the
# outbox (fsync) and delivered (the tutorial's rule has no cooldown).
APPLES, APPLES_SHORT, APPLE_FRAMES = os.path.join(tmp, "apples.avi"), os.path.join(tmp, "apples-short.avi"), 300
subprocess.run(["/usr/bin/python3", "-c", """
import cv2, sys
f = cv2.resize(cv2.imread(sys.argv[1]), (768, 576))
for path, n in ((sys.argv[2], int(sys.argv[4])), (sys.argv[3], int(sys.argv[5]))):
    w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (768, 576))
    for i in range(n): w.write(f)
    w.release()""", os.path.join(SHARED, "media", "apple1.jpg"), APPLES, APPLES_SHORT, str(APPLE_FRAMES), str(a.short)],
               check=True)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    c0 = children_cpu()
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, check=True)
    return r, children_cpu() - c0


def camera(clip, frames):
    r, cpu = timed([VIGIL, "camera", "--video", clip, "--endpoint", MODEL, "--set", "REALTIME=false",
                    "--set", "LOOP_VIDEO=false", "--set", "MOTION_GATE=false", "--set", "RESIZE_WIDTH=256",
                    "--set", "RESIZE_HEIGHT=256", "--out", "/dev/null"])
    m = re.search(r"(\d+) processed.* \(([\d.]+) frames/s processed\)", r.stderr)
    return int(m.group(1)), float(m.group(2)), cpu, None


def replay(clip, frames):
    r, cpu = timed([VIGIL, "replay", clip, "--manifest", TEMPLATE, "--set", "camera-module.MOTION_GATE=false",
                    "--out", tempfile.mkdtemp(prefix="vigil-run-bench-")])
    s = json.loads(r.stdout.strip().splitlines()[-1])["summary"]
    return s["frames"]["processed"], s["frames"]["processed"] / s["seconds"], cpu, s


def baseline(clip, frames):
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(BASE, "vision_server.py"), MODEL, "--port", str(port), "--threads"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, srv)
    s0 = cpu_seconds(srv.pid)
    out = subprocess.run(["/usr/bin/python3", os.path.join(BASE, "camera_pipeline.py"), clip, "http://127.0.0.1:%d/image" % port,
                          "--frames", str(frames), "--resize", "256x256"], capture_output=True, text=True, check=True).stdout
    server_cpu = cpu_seconds(srv.pid) - s0
    srv.send_signal(signal.SIGTERM)
    srv.wait(timeout=30)
    r = json.loads(out.strip().splitlines()[-1])
    return r["frames"], r["fps"], r["client_cpu_s"] + server_cpu, None


def measure(label, fn, short=SHORT, full=VTEST, frames=FULL_FRAMES):
    n0, _, c0, _ = fn(short, a.short)
    n1, fps, c1, extra = fn(full, frames)
    return label, fps, (c1 - c0) / (n1 - n0), n1, extra


def table(title, rows):
    print(title)
    cam_fps = (rows[0][1] + rows[2][1]) / 2
    cam_cpu = (rows[0][2] + rows[2][2]) / 2
    print("%-52s %8s %10s %12s %10s" % ("pipeline", "fps", "x camera", "CPU s/frame", "x camera"))
    for label, fps, cpu, n, _ in rows:
        print("%-52s %8.1f %10.2f %12.4f %10.2f" % (label, fps, fps / cam_fps, cpu, cpu / cam_cpu))
    s = rows[1][4]
    print("replay: %d frames, %d predictions sent, %d alerts %s (as fast as it goes: capture->alert latency is only "
          "reported with --realtime)\n" % (s["frames"]["processed"], s["predictionsSent"], s["alerts"], s["alertsByTag"]))


print("Every frame inferred at 256x256 with cv-applebanana-tf (RESIZE as the tutorial), %d CPU cores\n" % os.cpu_count())
table("vtest.avi 768x576, %d frames (street scene: no alert)" % FULL_FRAMES,
      [measure("vigil camera alone (before)", camera),
       measure("vigil replay, the tutorial's whole deployment", replay),
       measure("vigil camera alone (after)", camera),
       measure("seed-equivalent camera_pipeline.py -> vision_server.py", baseline)])
apples = dict(short=APPLES_SHORT, full=APPLES, frames=APPLE_FRAMES)
table("apple1.jpg as a 768x576 clip, %d frames (every frame an alert)" % APPLE_FRAMES,
      [measure("vigil camera alone (before)", camera, **apples),
       measure("vigil replay, the tutorial's whole deployment", replay, **apples),
       measure("vigil camera alone (after)", camera, **apples),
       measure("seed-equivalent camera_pipeline.py -> vision_server.py", baseline, **apples)])
subprocess.run(["rm", "-rf", tmp])
