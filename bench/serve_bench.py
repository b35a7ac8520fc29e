#!/usr/bin/python3
"""vigil serve vs the seed-equivalent Flask server (../shared/baselines/seed-equivalent/vision_server.py
--threads) on the same model and the same 640x480 camera JPEG, driven the same way by ApacheBench (ab), next to
the in-process floor (JPEG decode + preprocessing + forward pass) measured in the same run.

usage: bench/serve_bench.py [--model DIR] [--requests N] [--instances K]   (run from the project root; `make bench`)
Prints a Markdown table for docs/performance.md.
"""
import argparse, json, os, re, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--model", default=os.path.join(ROOT, "..", "shared", "models", "cv-applebanana-tf"))
ap.add_argument("--requests", type=int, default=600)
ap.add_argument("--instances", type=int, default=2)
ap.add_argument("--concurrency", default="1,4,16")
ap.add_argument("--only-vigil", action="store_true")
a = ap.parse_args()
VIGIL = os.path.join(ROOT, "build", "vigil")
FLOOR = os.path.join(ROOT, "build", "bench", "vigil_floor_bench")
BASELINE = os.path.join(ROOT, "..", "shared", "baselines", "seed-equivalent", "vision_server.py")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import cpu_seconds, free_port, rss_mib, wait_port  # noqa: E402


def ab(url, body, n, c):
    out = subprocess.run(["ab", "-q", "-n", str(n), "-c", str(c), "-p", body, "-T", "application/octet-stream", url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    # ab compares every body's length with the first one's: for one image sent again and again, a different
    # length means a different answer (the baseline shares one network between threads).
    length = re.search(r"Length: (\d+)", out)
    failed = int(length.group(1)) if length else 0
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    p50 = float(re.search(r"\n\s+50%\s+(\d+)", out).group(1))
    p99 = float(re.search(r"\n\s+99%\s+(\d+)", out).group(1))
    return rps, p50, p99, failed + (int(non2xx.group(1)) if non2xx else 0)


def measure(name, cmd, port, body, levels):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        url = "http://127.0.0.1:%d/image" % port
        ab(url, body, 50, 1)  # warm-up
        rows = []
        for c in levels:
            cpu0 = cpu_seconds(proc.pid)
            rps, p50, p99, bad = ab(url, body, a.requests, c)
            cpu = (cpu_seconds(proc.pid) - cpu0) / a.requests * 1000
            rows.append((name, c, rps, p50, p99, cpu, rss_mib(proc.pid), bad))
        return rows
    finally:
        proc.terminate()
        proc.wait()


with tempfile.TemporaryDirectory() as tmp:
    jpeg = os.path.join(tmp, "camera.jpg")
    subprocess.run(["/usr/bin/python3", "-c",
                    "import cv2; ok,f=cv2.VideoCapture(%r).read(); cv2.imwrite(%r, cv2.resize(f,(640,480)))" % (VTEST, jpeg)],
                   check=True)
    floor = json.loads(subprocess.run([FLOOR, a.model, jpeg, "300"], capture_output=True, text=True, check=True).stdout)
    levels = [int(x) for x in a.concurrency.split(",")]
    vp, bp = free_port(), free_port()
    rows = measure("vigil serve", [VIGIL, "serve", "--model", a.model, "--host", "127.0.0.1", "--port", str(vp),
                                   "--instances", str(a.instances), "--log-level", "warn"], vp, jpeg, levels)
    if not a.only_vigil:
      rows += measure("seed-equivalent (Flask --threads)", ["/usr/bin/python3", BASELINE, a.model, "--port", str(bp), "--threads"],
                    bp, jpeg, levels)

print("model: %s, image: 640x480 JPEG of vtest.avi frame 0, %d requests per level, %d CPU cores" %
      (os.path.basename(os.path.normpath(a.model)), a.requests, os.cpu_count()))
print()
print("floor (in-process, one thread calling): decode %.2f ms + prepare %.2f ms + forward %.2f ms = %.2f ms -> %.1f images/s" %
      (floor["decode_ms"], floor["prepare_ms"], floor["forward_ms"], floor["total_ms"], floor["per_s"]))
print()
print("| server | clients | req/s | p50 ms | p99 ms | CPU ms/req | RSS MiB | wrong or failed answers | req/s vs floor |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, c, rps, p50, p99, cpu, rss, bad in rows:
    print("| %s | %d | %.1f | %.0f | %.0f | %.2f | %.0f | %d | %.2f |" % (name, c, rps, p50, p99, cpu, rss, bad, rps / floor["per_s"]))
