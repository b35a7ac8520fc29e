#!/usr/bin/python3
"""Capture benchmark, in one run:
  - a 1080p25 H.264 camera stream made here by Debian's ffmpeg from vtest.avi (keyframe every 2 s, as cameras send);
  - CPU per camera: FFmpeg's libraries decoding every frame (vigil's default) vs keyframes only (DECODE=keyframes)
    vs OpenCV's VideoCapture (vigil's capture before), and what a 10 s clip costs remuxed vs encoded
    (build/bench/vigil_capture_bench);
  - how many such cameras one machine watches at 5 detections per second: the estimate from those numbers, then
    `vigil run` with that many cameras playing the stream in real time (MAX_FPS=5, the COCO detector), each
    camera's processed rate and model time read from its preview's /api/status after a warm-up; fewer cameras
    until every one keeps 4.75 frames/s or more.
usage: bench/capture_bench.py [--seconds S] [--runs R] [--cameras N]   (from the project root). Prints Markdown
for docs/performance.md."""
import argparse, json, os, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, "build", "vigil")
BENCH = os.path.join(ROOT, "build", "bench", "vigil_capture_bench")
MODEL = os.path.join(ROOT, "..", "shared", "models", "yolo-fastest-1.1-xl-coco")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=20)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--cameras", default="", help="camera counts for the vigil run check, e.g. 10,6,4 (default: the estimate, then fewer until each keeps 5/s)")
ap.add_argument("--watch", type=int, default=40, help="seconds the vigil run check lasts")
a = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="vigil-capture-bench-")
stream = os.path.join(tmp, "cam1080.mp4")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", VTEST, "-t", str(a.seconds),
                "-vf", "scale=1920:1080,fps=25", "-c:v", "libx264", "-preset", "veryfast", "-g", "50",
                "-pix_fmt", "yuv420p", stream], check=True)
r = json.loads(subprocess.run([BENCH, stream, MODEL, str(a.runs)], check=True, capture_output=True, text=True).stdout)
cpu = r["cpu_per_video_s"]
per_camera = cpu["libav_full"] + 5 * r["infer_ms"] / 1000
cores = os.cpu_count()
estimate = max(1, int(cores / per_camera))

print("### Capture, %dx%d %s at 25 fps, keyframe every 2 s (`bench/capture_bench.py`, %d runs, medians)\n" %
      (r["width"], r["height"], r["codec"], a.runs))
print("| reader | CPU s per s of video | frames decoded |")
print("|---|---|---|")
print("| FFmpeg libraries, every frame (vigil's default) | %.3f | %d |" % (cpu["libav_full"], r["frames"]))
print("| FFmpeg libraries, DECODE=keyframes | %.3f | %d |" % (cpu["libav_keyframes"], r["keyframes"]))
print("| OpenCV VideoCapture (before) | %.3f | %d |" % (cpu["opencv"], r["frames"]))
print()
print("| a %.0f s clip | CPU s |" % r["clip_s"])
print("|---|---|")
print("| remuxed (packet sources) | %.4f |" % r["clip_cpu_s"]["remux"])
print("| encoded, H.264 (raw sources) | %.3f |" % r["clip_cpu_s"]["encode"])
print("\nDetector (yolo-fastest-1.1-xl-coco) per frame: %.1f ms. One camera at 5 detections/s: %.2f CPU s per s "
      "(decode + detector); %d cores → estimate %d cameras.\n" % (r["infer_ms"], per_camera, cores, estimate))



def watch(n):
    """`vigil run` with n cameras on the stream: (slowest, fastest processed rate, model time range)."""
    port = 5600
    modules = {"detector": {"settings": {"image": "vigil:vision " + MODEL}}}
    for i in range(n):
        modules["cam%d" % i] = {"settings": {"image": "vigil:camera"}, "env": {
            "VIDEO_PATH": {"value": stream}, "IMAGE_PROCESSING_ENDPOINT": {"value": "http://detector/image"},
            "MAX_FPS": {"value": "5"}, "MOTION_GATE": {"value": "false"}, "SHOW_VIDEO": {"value": "true"},
            "PREVIEW_HOST": {"value": "127.0.0.1"}, "PREVIEW_PORT": {"value": str(port)}}}
    path = os.path.join(tmp, "deployment-%d.json" % n)
    json.dump({"modules": modules, "routes": {}}, open(path, "w"))
    proc = subprocess.Popen([VIGIL, "run", path, "--state-dir", os.path.join(tmp, "state-%d" % n)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = {}
    try:
        time.sleep(15)  # warm-up: models loaded, every camera reading
        end = time.time() + a.watch
        while time.time() < end:
            try:
                s = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/status" % port, timeout=5))
                for cam in s["cameras"]:
                    samples.setdefault(cam["camera"], []).append((cam["fps"], cam["infer_ms"]))
            except OSError:
                pass
            time.sleep(1)
    finally:
        proc.terminate()
        proc.wait()
    rates = [sum(f for f, _ in v) / len(v) for v in samples.values()] or [0]
    infer = [sum(m for _, m in v) / len(v) for v in samples.values()] or [0]
    print("| %d | %.2f–%.2f | %.0f–%.0f ms |" % (n, min(rates), max(rates), min(infer), max(infer)), flush=True)
    return min(rates)


print("`vigil run`, N such cameras in real time (MAX_FPS=5, clips on, %d s after a 15 s warm-up):\n" % a.watch)
print("| cameras | processed frames/s per camera | model time per frame |")
print("|---|---|---|")
counts = [int(x) for x in a.cameras.split(",")] if a.cameras else None
n = counts.pop(0) if counts else estimate
while n >= 1:
    slowest = watch(n)
    if counts:
        n = counts.pop(0)
    elif a.cameras or slowest >= 4.75:
        break
    else:
        n = max(1, int(n * slowest / 5)) if n > 1 else 0
