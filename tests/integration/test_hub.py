#!/usr/bin/python3
"""The hub with real parts on loopback: a mosquitto broker for the modules and another as the upstream, `vigil
hub` routing between a camera-like publisher (this script, paho-mqtt) and an alert module in another process
(tests/tools/paho_module.py), and its durable outbox. Faults, counted end to end: the module broker stopped and
restarted mid-stream, vigil killed with SIGKILL and restarted, the upstream down for a while. Every accepted
message must arrive upstream; duplicates only with the same messageId; order kept."""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port
from camera_harness import Tool, wait_for, TOOLS

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-hub-test-")
DEVICE = "edge01"


class Broker:
    def __init__(self, name, port=None):
        self.port = port or free_port()
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\n"
                    "max_queued_messages 100000\n" % (self.port, self.dir))
            if os.geteuid() == 0:
                f.write("user root\n")  # else mosquitto drops to its own user and cannot write its store here
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = wait_for(lambda: self._open(), 10)
        if not ok:
            raise RuntimeError("mosquitto did not start on %d" % self.port)

    def _open(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


class Hub:
    def __init__(self, broker, upstream_port, routes_file, store):
        self.args = [a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % broker.port, "--device-id", DEVICE,
                     "--routes", routes_file, "--store", store, "--metrics-port", "0",
                     "--upstream", "mqtt://127.0.0.1:%d/up/{device}/{module}/{output}" % upstream_port]
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log, self.metrics_port = [], None
        ready = threading.Event()

        def drain():
            for line in self.proc.stdout:
                self.log.append(line)
                m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", line)
                if m:
                    self.metrics_port = int(m.group(1))
                if "hub ready" in line:
                    ready.set()
        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("vigil hub did not start:\n" + "".join(self.log))

    def metric(self, name, endpoint):
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port, timeout=10).read().decode()
        m = re.search(r'^%s\{endpoint="%s"\} (\S+)$' % (re.escape(name), re.escape(endpoint)), text, re.M)
        return float(m.group(1)) if m else 0.0

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


class Collector:
    """Subscribes to the upstream broker (persistent session) and keeps every message, in arrival order."""

    def __init__(self, port):
        self.got, self.lock = [], threading.Lock()
        self.client = mqtt.Client(client_id="collector", clean_session=False)
        self.status = []
        self.client.on_connect = lambda cl, u, f, rc: (cl.subscribe("up/#", qos=1), cl.subscribe("vigil/+/status", qos=1))
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on_message(self, cl, u, msg):
        if msg.topic.endswith("/status"):
            self.status.append((msg.payload.decode(), msg.retain))
            return
        with self.lock:
            self.got.append((msg.topic, json.loads(msg.payload)))

    def seqs(self):
        with self.lock:
            return [m["body"]["seq"] for _, m in self.got]


class Camera:
    """This script as the camera module: QoS 1 publishes on output1, waiting for each PUBACK."""

    def __init__(self, port):
        self.client = mqtt.Client(client_id="%s/camera" % DEVICE, clean_session=False)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, seq, probability):
        topic = ("devices/%s/modules/camera/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson"
                 "&%%24.ce=utf-8&%%24.mid=cam-%d&camera=front" % (DEVICE, seq))
        for _ in range(200):  # while the broker is away, try again (the test counts what was accepted)
            info = self.client.publish(topic, json.dumps({"seq": seq, "probability": probability, "tag": "Apple"}), qos=1)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                try:
                    info.wait_for_publish(timeout=5)
                except Exception:
                    pass
                if info.is_published():
                    return True
            time.sleep(0.1)
        return False

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


routes_file = os.path.join(tmp, "edgehub.json")
with open(routes_file, "w") as f:
    json.dump({"schemaVersion": "1.1", "routes": {
        "camToAlert": "FROM /messages/modules/camera/outputs/output1 WHERE $body.probability >= 0.6 "
                      "INTO BrokeredEndpoint(\"/modules/alert/inputs/input1\")",
        "alertsUp": {"route": "FROM /messages/modules/alert/outputs/* INTO $upstream", "priority": 0,
                     "timeToLiveSecs": 3600}},
        "storeAndForwardConfiguration": {"timeToLiveSecs": 7200}}, f)

modules = Broker("modules")
upstream = Broker("upstream")
collector = Collector(upstream.port)
store = os.path.join(tmp, "outbox.db")
hub = Hub(modules, upstream.port, routes_file, store)
alert_proc = subprocess.Popen(["/usr/bin/python3", os.path.join(TOOLS, "paho_module.py"), str(modules.port), DEVICE, "alert"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
c.expect(alert_proc.stdout.readline().strip() == "ready", "the Python alert module subscribed")
cam = Camera(modules.port)
accepted = []
seq = 0


def send_batch(n, low_every=4):
    """n messages; every `low_every`-th one below the threshold (must not be routed)."""
    global seq
    for _ in range(n):
        seq += 1
        p = 0.3 if seq % low_every == 0 else 0.9
        if cam.send(seq, p) and p >= 0.6:
            accepted.append(seq)


# 1. Normal flow: camera -> route with a $body condition -> alert module (another process) -> $upstream.
print("== normal flow", flush=True)
send_batch(20)
c.expect(wait_for(lambda: len(set(collector.seqs())) >= len(accepted), 30),
         "all routed messages reach upstream: %d of %d" % (len(set(collector.seqs())), len(accepted)))
first = collector.got[0][1] if collector.got else {}
c.expect(first.get("systemProperties", {}).get("connectionModuleId") == "alert" and
         first.get("systemProperties", {}).get("connectionDeviceId") == DEVICE, "upstream sees the alert module's identity")
c.expect(first.get("body", {}).get("from") == "camera", "the alert module saw $.cmid=camera on its input")
c.expect(collector.got and collector.got[0][0] == "up/%s/alert/output1" % DEVICE, "topic template filled: %s" % (collector.got[0][0] if collector.got else None))
c.expect(first.get("properties", {}).get("seq") == str(first.get("body", {}).get("seq")), "application properties kept")
c.expect(not any(s % 4 == 0 for s in collector.seqs()), "messages below the WHERE threshold are not routed")

# 2. The module broker stopped and restarted mid-stream.
print("== module broker restart", flush=True)
send_batch(10)
lost_before = sum("lost mqtt://127.0.0.1:%d" % modules.port in l for l in hub.log)
modules.stop()
c.expect(wait_for(lambda: sum("lost mqtt://127.0.0.1:%d" % modules.port in l for l in hub.log) > lost_before, 15),
         "the hub noticed the module broker is gone")
modules.start()
send_batch(10)
c.expect(wait_for(lambda: set(accepted) <= set(collector.seqs()), 60),
         "after the broker restart every accepted message arrives: missing %s" % sorted(set(accepted) - set(collector.seqs())))

# 3. vigil killed with SIGKILL mid-stream, messages sent while it is down, then restarted on the same store.
print("== SIGKILL and restart", flush=True)
send_batch(10)
hub.kill()
send_batch(10)  # the broker keeps them for the hub's persistent session
hub.start()
c.expect(wait_for(lambda: set(accepted) <= set(collector.seqs()), 60),
         "after SIGKILL + restart every accepted message arrives: missing %s" % sorted(set(accepted) - set(collector.seqs())))

c.expect(wait_for(lambda: "offline" in [s for s, _ in collector.status], 30),
         "the upstream broker announced the killed hub offline (last will): %s" % collector.status)
c.expect(wait_for(lambda: collector.status and collector.status[-1][0] == "online", 30), "…and online again after the restart")

# 4. The upstream unreachable for a while: messages wait in the outbox, then drain in order.
print("== upstream down and back", flush=True)
upstream.stop()
before = len(accepted)
send_batch(12)
waiting = wait_for(lambda: hub.metric("vigil_outbox_depth", "$upstream") >= len(accepted) - before, 30)
c.expect(waiting, "while upstream is down, alerts wait in the outbox: depth %s" % hub.metric("vigil_outbox_depth", "$upstream"))
c.expect(hub.metric("vigil_outbox_oldest_age_seconds", "$upstream") >= 0, "oldest age is exported")
c.expect(wait_for(lambda: hub.metric("vigil_outbox_delivery_failures_total", "$upstream") >= 1, 30),
         "the hub tried the upstream and failed")
upstream.start()
c.expect(wait_for(lambda: set(accepted) <= set(collector.seqs()), 90),
         "upstream back: the backlog drains: missing %s" % sorted(set(accepted) - set(collector.seqs())))
c.expect(wait_for(lambda: hub.metric("vigil_outbox_depth", "$upstream") == 0, 30), "the outbox is empty again")
c.expect(hub.metric("vigil_outbox_delivered_total", "$upstream") > 0, "delivered count on /metrics")
c.expect(abs(hub.metric("vigil_outbox_last_success_timestamp_seconds", "$upstream") - time.time()) < 120,
         "last success time on /metrics")

# Counted end to end.
got = collector.got
ids = {}
for _, m in got:
    ids.setdefault(m["body"]["seq"], set()).add(m["systemProperties"]["messageId"])
dups = len(got) - len(ids)
c.expect(all(len(v) == 1 for v in ids.values()), "duplicates only with the same messageId: %s" %
         {k: v for k, v in ids.items() if len(v) > 1})
c.expect(set(ids) == set(accepted), "exactly the accepted messages arrived (%d accepted, %d distinct arrived)" % (len(accepted), len(ids)))
# A duplicate is a message the alert module sent again (it re-published after a redelivery) or the outbox
# re-sent after the kill; from the outbox's side it must carry the same messageId.
first_seen = []
for s in collector.seqs():
    if s not in first_seen:
        first_seen.append(s)
c.expect(first_seen == sorted(first_seen), "order kept upstream: %s" % first_seen[:40])
print("accepted %d, arrived %d (duplicates %d)" % (len(accepted), len(got), dups))
c.expect(hub.stop() == 0, "SIGTERM: exit 0")

cam.close()
alert_proc.terminate()
alert_proc.wait(timeout=10)
collector.client.loop_stop()
modules.stop()
upstream.stop()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
