#!/usr/bin/python3
"""Chaos benchmark: alerts through three uplinks at once while everything around vigil fails, counted end to end.

  producer (this script, paho, QoS 1) ─▶ module broker ─▶ vigil hub ─┬─▶ webhook (this script's HTTP receiver)
                                                                     ├─▶ MQTT uplink ─▶ upstream broker ─▶ collector
                                                                     └─▶ file: uplink

While N alerts (default 10,000) flow at R a second, it SIGKILLs vigil K times (default 5) and starts it again on the
same outbox, stops and restarts both mosquitto brokers, flaps the webhook (503 for 2 s every 6 s), and — where
this machine lets it mount a tmpfs for the state folder — fills that volume to the last byte for 3 s and frees it.
Then it waits until every uplink has every alert and reports per uplink: produced (PUBACKed by the module broker),
delivered (distinct), lost (produced, never delivered, not counted as evicted), duplicated (delivered more than
once; at least once allows it after a SIGKILL), reordered (first arrivals that came after a later alert), and the
time to drain after the last alert. Lost must be 0.

usage: bench/chaos.py [--alerts N] [--rate R] [--kills K] [--volume-mb M]   (from the project root, as root for the
volume faults). Prints Markdown for docs/reliability.md; exit 1 when anything was lost."""
import argparse, http.server, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import free_port, wait_port
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from vigil_harness import fill_volume, free_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, "build", "vigil")
ap = argparse.ArgumentParser()
ap.add_argument("--alerts", type=int, default=10000)
ap.add_argument("--rate", type=float, default=250)
ap.add_argument("--kills", type=int, default=5)
ap.add_argument("--volume-mb", type=int, default=128)
ap.add_argument("--drain-timeout", type=float, default=600)
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="vigil-chaos-")
DEVICE = "edge"
events = []  # (seconds since start, what happened)
T0 = time.time()


def note(what):
    events.append((time.time() - T0, what))
    print("%7.1f s  %s" % (time.time() - T0, what), file=sys.stderr, flush=True)


class Broker:
    def __init__(self, name):
        self.port, self.dir = free_port(), os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\n"
                    "max_queued_messages 0\nmax_inflight_messages 0\n" % (self.port, self.dir))
            if os.geteuid() == 0:
                f.write("user root\n")
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def restart(self, down_s):
        self.proc.send_signal(signal.SIGTERM)  # saves its persistence; SIGKILL would lose what it had acknowledged
        self.proc.wait(timeout=30)
        time.sleep(down_s)
        self.start()


class Webhook(http.server.BaseHTTPRequestHandler):
    up = threading.Event()
    got, lock = [], threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = Webhook.up.is_set()
        if ok:
            with Webhook.lock:
                Webhook.got.append(json.loads(body)["body"]["seq"])
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Collector:
    def __init__(self, port):
        self.got, self.lock = [], threading.Lock()
        self.client = mqtt.Client(client_id="chaos-collector", clean_session=False)
        self.client.on_connect = lambda cl, u, f, rc: cl.subscribe("up/#", qos=1)
        self.client.on_message = self.on_message
        self.client.reconnect_delay_set(0.2, 2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on_message(self, cl, u, msg):
        with self.lock:
            self.got.append(json.loads(msg.payload)["body"]["seq"])


def file_seqs(path):
    try:
        with open(path) as f:
            return [json.loads(l)["body"]["seq"] for l in f if l.endswith("\n")]
    except FileNotFoundError:
        return []


# The state folder: a tmpfs of --volume-mb when this machine allows mounting one.
state = os.path.join(tmp, "state")
os.makedirs(state)
volume = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % a.volume_mb, "tmpfs", state], capture_output=True).returncode == 0
modules, upstream = Broker("modules"), Broker("upstream")
collector = Collector(upstream.port)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
Webhook.up.set()
out = os.path.join(tmp, "up.jsonl")


class Hub:
    def __init__(self):
        self.args = [VIGIL, "hub", "--broker", "mqtt://127.0.0.1:%d" % modules.port, "--device-id", DEVICE,
                     "--store", os.path.join(state, "outbox.db"), "--metrics-port", "0",
                     "--route", "up=FROM /messages/modules/cam/outputs/* INTO $upstream",
                     "--upstream", "http://127.0.0.1:%d/hook#inflight=1" % httpd.server_address[1],
                     "--upstream", "mqtt://127.0.0.1:%d/up/{device}/{module}/{output}" % upstream.port,
                     "--upstream", "file:" + out]
        self.log = open(os.path.join(tmp, "hub.log"), "a")
        self.evicted_before = 0.0
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = None
        for line in self.proc.stdout:
            self.log.write(line)
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", line)
            if m:
                self.port = int(m.group(1))
            if "hub ready" in line:
                break
        threading.Thread(target=lambda p=self.proc: [self.log.write(l) for l in p.stdout], daemon=True).start()

    def evicted(self):  # this incarnation's count (its counters start at 0)
        try:
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=5).read().decode()
        except Exception:
            return 0.0
        return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith("vigil_outbox_evicted_total{"))

    def kill(self):
        self.evicted_before += self.evicted()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


hub = Hub()
producer = mqtt.Client(client_id="%s/cam" % DEVICE, clean_session=False)
producer.max_inflight_messages_set(1000)
producer.max_queued_messages_set(0)
producer.reconnect_delay_set(0.1, 1)
acked, acked_lock = set(), threading.Lock()


def on_publish(client, userdata, mid):
    with acked_lock:
        acked.add(mid)


producer.on_publish = on_publish  # paho keeps what it could not send yet and sends it when the broker is back
producer.connect("127.0.0.1", modules.port)
producer.loop_start()
mids = {}
duration = a.alerts / a.rate


def chaos():
    plan = [(duration * (k + 1) / (a.kills + 1), "kill") for k in range(a.kills)]
    plan += [(duration * 0.3, "modules"), (duration * 0.62, "upstream")]
    if volume:
        plan.append((duration * 0.45, "fill"))
    plan += [(t, "flap") for t in [6 * i + 3 for i in range(int(duration // 6))]]
    for at, what in sorted(plan):
        time.sleep(max(0, T0 + at - time.time()))
        if what == "kill":
            note("SIGKILL vigil")
            hub.kill()
            time.sleep(0.5)
            hub.start()
            note("vigil started again")
        elif what == "modules":
            note("module broker stopped")
            modules.restart(1.0)
            note("module broker back")
        elif what == "upstream":
            note("upstream broker stopped")
            upstream.restart(2.0)
            note("upstream broker back")
        elif what == "flap":
            Webhook.up.clear()
            threading.Timer(2.0, Webhook.up.set).start()
        elif what == "fill":
            filler = fill_volume(state)
            note("state volume full (%d bytes free)" % free_bytes(state))
            threading.Timer(3.0, lambda: (os.remove(filler), note("state volume freed"))).start()


threading.Thread(target=chaos, daemon=True).start()
note("producing %d alerts at %.0f/s" % (a.alerts, a.rate))
for seq in range(1, a.alerts + 1):
    time.sleep(max(0, T0 + seq / a.rate - time.time()))
    topic = ("devices/%s/modules/cam/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson&%%24.ce=utf-8"
             "&%%24.mid=cam-%d" % (DEVICE, seq))
    mids[producer.publish(topic, json.dumps({"seq": seq, "tag": "person"}), qos=1).mid] = seq
deadline = time.time() + 120
while time.time() < deadline:
    with acked_lock:
        if set(mids) <= acked:
            break
    time.sleep(0.05)
with acked_lock:
    produced = [seq for mid, seq in mids.items() if mid in acked]
t_produced = time.time()
note("producer done: %d PUBACKed, %d not" % (len(produced), len(mids) - len(produced)))

uplinks = {"webhook": lambda: list(Webhook.got), "mqtt": lambda: list(collector.got), "file": lambda: file_seqs(out)}
want = set(produced)
drain = {}
deadline, report = time.time() + a.drain_timeout, time.time() + 10
while len(drain) < len(uplinks) and time.time() < deadline:
    for name, seqs in uplinks.items():
        if name not in drain and want <= set(seqs()):
            drain[name] = time.time() - t_produced
    if time.time() > report:
        report = time.time() + 10
        note("waiting: " + ", ".join("%s misses %d (first %s)" % (n, len(want - set(f())), sorted(want - set(f()))[:3])
                                     for n, f in uplinks.items() if n not in drain))
    time.sleep(0.2)
evicted = hub.evicted_before + hub.evicted()
note("drained: %s; evicted %d" % (drain, evicted))

print("### Chaos: %d alerts at %.0f/s, %d SIGKILLs, both brokers restarted, the webhook flapping%s\n"
      % (a.alerts, a.rate, a.kills, ", the state volume (%d MB tmpfs) filled for 3 s" % a.volume_mb if volume else
         " (no volume faults: mounting a tmpfs is not allowed here)"))
print("| uplink | produced | delivered | lost | evicted (counted) | duplicated | reordered | drain after the last (s) |")
print("|---|---|---|---|---|---|---|---|")
lost_any = False
for name, seqs in uplinks.items():
    got = seqs()
    distinct = set(got) & want
    first, seen = [], set()
    for s in got:
        if s not in seen:
            seen.add(s)
            first.append(s)
    reordered, top = 0, 0
    for s in first:  # a first arrival below one that came before it
        reordered += s < top
        top = max(top, s)
    lost = len(want - distinct) - int(evicted)
    lost_any |= lost > 0
    print("| %s | %d | %d | %d | %d | %d | %d | %s |" % (name, len(want), len(distinct), max(lost, 0), evicted,
                                                       len(got) - len(set(got)), reordered,
                                                       "%.1f" % drain[name] if name in drain else "not drained"))
print("\nFaults, in seconds from the start:\n")
for t, what in events:
    print("- %.1f s: %s" % (t, what))
hub.proc.send_signal(signal.SIGTERM)
hub.proc.wait(timeout=30)
for b in (modules, upstream):
    b.proc.terminate()
    b.proc.wait()
httpd.shutdown()
if volume:
    subprocess.run(["umount", state])
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if lost_any else 0)
