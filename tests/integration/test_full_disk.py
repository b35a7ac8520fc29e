#!/usr/bin/python3
"""The outbox on a real, tiny state volume (a 2 MB tmpfs mounted here; skipped where mounting is not allowed):
`vigil hub` with a webhook uplink that is down while 1,200 alerts of ~1.5 KB arrive over a real mosquitto, more than
the volume holds. Expected, where the old store wedged for good (refusing every alert and re-POSTing the delivered
ones in a loop):
- every alert is accepted; below the free-space reserve the oldest make room for new ones, counted as evicted, with
  one WARN when space runs short and one when it is back;
- when the webhook comes back the newest alerts arrive in order, each POSTed once, and delivered + evicted = sent;
- after delivery the store gives its freed pages back to the volume and makes its ballast again; another writer
  then fills the volume to the last byte: the outbox keeps storing (its log is bounded and already on disk, the
  oldest make room, the ballast goes if more is needed), and delivers everything that waits."""
import argparse, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading, time, urllib.request
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, fill_volume, free_bytes, start_mosquitto, terminate
from camera_harness import wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-full-disk-test-")
vol = os.path.join(tmp, "vol")
os.makedirs(vol)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", vol], capture_output=True).returncode != 0:
    c.skip("cannot mount a 2 MB tmpfs here (needs root or CAP_SYS_ADMIN)")
    sys.exit(c.done())

posts, lock, up = [], threading.Lock(), threading.Event()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = up.is_set()
        if ok:
            with lock:
                posts.append((self.headers["Idempotency-Key"], json.loads(body)["body"]["n"]))
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
port, broker = start_mosquitto(tmp, "max_queued_messages 100000\n")
log_lines = []
hub = None
try:
    hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "edge",
                            "--store", os.path.join(vol, "outbox.db"), "--metrics-port", "0",
                            "--route", "up=FROM /messages/modules/cam/outputs/* INTO $upstream",
                            "--upstream", "http://127.0.0.1:%d/hook#inflight=1" % httpd.server_address[1]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=lambda: [log_lines.append(l) for l in hub.stdout], daemon=True).start()
    c.expect(wait_for(lambda: any("hub ready" in l for l in log_lines), 20), "vigil hub starts on the small volume")
    metrics_port = int(next(re.search(r":(\d+)/metrics", l).group(1) for l in log_lines if "/metrics" in l))

    def metric(name):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=5) as r:
            text = r.read().decode()
        return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(name + "{") or l.startswith(name + " "))

    pub = mqtt.Client(client_id="edge/cam")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    sent = 0

    def send(count):
        global sent
        for _ in range(count):
            pub.publish("devices/edge/modules/cam/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8",
                        json.dumps({"n": sent, "pad": "x" * 1500}), qos=1).wait_for_publish()
            sent += 1

    def routed():
        return metric("vigil_hub_messages_routed_total")

    # 1. More alerts than the volume holds, while the webhook is down.
    send(1200)
    c.expect(wait_for(lambda: routed() >= 1200, 60), "all 1200 alerts are accepted on a 2 MB volume (routed %d)" % routed())
    log = "".join(log_lines)
    c.expect("not stored" not in log, "no alert refused:\n" + "\n".join(l for l in log_lines if "not stored" in l)[:600])
    c.expect(log.count("KiB it keeps free") == 1, "one WARN when space runs short:\n" + log[-1500:])
    c.expect(wait_for(lambda: metric("vigil_outbox_evicted_total") > 0, 10),
             "the oldest made room: %d evicted" % metric("vigil_outbox_evicted_total"))
    c.expect(free_bytes(vol) > 64 * 1024, "the volume keeps free space: %d bytes" % free_bytes(vol))
    # 2. The webhook comes back: the newest alerts, in order, each once.
    up.set()
    c.expect(wait_for(lambda: len(posts) + metric("vigil_outbox_evicted_total") >= 1200, 120),
             "delivered + evicted = sent: %d + %d of 1200" % (len(posts), metric("vigil_outbox_evicted_total")))
    with lock:
        got = list(posts)
    ns = [n for _, n in got]
    c.expect(ns == sorted(ns) and ns and ns[-1] == 1199, "the newest arrive, in order (last %s)" % (ns[-1:] or None))
    c.expect(len(set(k for k, _ in got)) == len(got), "each alert POSTed once: %d POSTs, %d ids" % (len(got), len(set(k for k, _ in got))))
    c.expect(int(metric("vigil_outbox_evicted_total")) + len(got) == 1200, "nothing lost beyond what was counted as evicted")
    # 3. Another writer fills the volume to the last byte while the webhook is down again (after one more alert, on
    # which the store gives the pages that delivery freed back to the volume and makes its ballast again).
    up.clear()
    before, evicted3 = len(posts), metric("vigil_outbox_evicted_total")
    free1 = free_bytes(vol)
    send(1)
    c.expect(wait_for(lambda: routed() >= 1201, 20), "one more alert is stored")
    free2 = free_bytes(vol)
    c.expect(free2 > free1 + 1024 * 1024, "the store gives the pages delivery freed back to the volume: %d → %d bytes free"
             % (free1, free2))
    ballast = os.path.join(vol, "outbox.db.reserve")
    c.expect(os.path.exists(ballast) and os.path.getsize(ballast) == 64 * 1024, "its ballast is there")
    filler = fill_volume(vol)
    c.expect(free_bytes(vol) == 0, "the volume is full")
    send(20)
    c.expect(wait_for(lambda: routed() >= 1221, 60), "with the volume full, alerts are still stored (routed %d)" % routed())
    c.expect("not stored" not in "".join(log_lines), "none refused")
    os.remove(filler)
    send(1)  # the next write sees the space
    c.expect(wait_for(lambda: os.path.exists(ballast) and os.path.getsize(ballast) == 64 * 1024, 20),
             "recovers by itself when space returns: the ballast is made again")
    up.set()
    c.expect(wait_for(lambda: len(posts) - before + metric("vigil_outbox_evicted_total") - evicted3 >= 22, 120),
             "after the full volume: delivered + evicted = sent: %d + %d of 22"
             % (len(posts) - before, metric("vigil_outbox_evicted_total") - evicted3))
    with lock:
        later = list(posts[before:])
    ns = [n for _, n in later]
    c.expect(ns == sorted(ns) and ns and ns[-1] == sent - 1, "in order, the newest last (%s)" % ns[-3:])
    c.expect(len(set(k for k, _ in later)) == len(later), "each once")
    c.expect(hub.poll() is None, "vigil hub is still running")
    print("".join(l for l in log_lines if "[outbox]" in l), end="")
    print("evicted %d of %d; %d POSTs" % (metric("vigil_outbox_evicted_total"), sent, len(posts)))
finally:
    if hub:
        terminate(hub)
    broker.terminate()
    broker.wait()
    subprocess.run(["umount", vol])
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
