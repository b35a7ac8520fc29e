#!/usr/bin/python3
"""Webhook throughput against a slow but healthy receiver (it takes 0.3 s a request), in one run: `vigil hub` with
the webhook uplink at inflight=1 (one request at a time: the floor, 1/latency) and at the default (4 in flight).
usage: bench/webhook_inflight.py [--alerts N] [--latency S]   (from the project root). Prints Markdown."""
import argparse, http.server, os, shutil, subprocess, sys, tempfile, threading, time
import paho.mqtt.client as mqtt
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from vigil_harness import start_mosquitto, Lines

ap = argparse.ArgumentParser()
ap.add_argument("--alerts", type=int, default=40)
ap.add_argument("--latency", type=float, default=0.3)
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="vigil-webhook-bench-")
got, lock = [], threading.Lock()


class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(a.latency)
        with lock:
            got.append(time.time())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
port, broker = start_mosquitto(tmp)
print("| webhook uplink | alerts/s (receiver: %.1f s a request, %d alerts) |\n|---|---|" % (a.latency, a.alerts))
for option, name in (("#inflight=1", "inflight=1 (one at a time)"), ("", "default (4 in flight)")):
    del got[:]
    hub = subprocess.Popen([os.path.join(ROOT, "build", "vigil"), "hub", "--broker", "mqtt://127.0.0.1:%d" % port,
                            "--device-id", "d", "--store", os.path.join(tmp, "outbox%d.db" % len(option)),
                            "--route", "up=FROM /messages/modules/m/outputs/* INTO $upstream",
                            "--upstream", "http://127.0.0.1:%d/hook%s" % (httpd.server_address[1], option)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    Lines(hub).wait("subscribed on mqtt://127.0.0.1:%d" % port)
    pub = mqtt.Client(client_id="d/m")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    t0 = time.time()
    for _ in range(a.alerts):
        pub.publish("devices/d/modules/m/messages/events/%24.on=out", "{}", qos=1).wait_for_publish()
    while len(got) < a.alerts:
        time.sleep(0.02)
    print("| %s | %.1f |" % (name, a.alerts / (max(got) - t0)))
    pub.loop_stop()
    hub.terminate()
    hub.wait()
broker.terminate()
broker.wait()
httpd.shutdown()
shutil.rmtree(tmp, ignore_errors=True)
