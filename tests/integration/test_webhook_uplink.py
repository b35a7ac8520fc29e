#!/usr/bin/python3
"""Webhook and file uplinks side by side on one hub: a real HTTP receiver on loopback that refuses the first
requests (503) checks the Event Grid Microsoft.Devices.DeviceTelemetry shape, the HMAC-SHA256 signature and the
idempotency key; meanwhile the file uplink is not held back. Every alert arrives at both, in order."""
import argparse, hashlib, hmac, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, start_mosquitto, Lines
from camera_harness import wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-webhook-test-")
SECRET = "s3cret"
requests, accepted = [], []
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            requests.append(body)
            refuse = len(requests) <= 3
            if not refuse:
                accepted.append((dict(self.headers), body))
        self.send_response(503 if refuse else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=httpd.serve_forever, daemon=True).start()


port, broker = start_mosquitto(tmp)
out = os.path.join(tmp, "alerts.jsonl")
hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "AIAprilDevice",
                        "--store", os.path.join(tmp, "outbox.db"),
                        "--route", "up=FROM /messages/modules/alert-module/outputs/* INTO $upstream",
                        "--upstream", "http://127.0.0.1:%d/logicapp?sig=1#format=eventgrid&secret=%s&inflight=1" % (httpd.server_address[1], SECRET),
                        "--upstream", "file:" + out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
hub_out = Lines(hub)
c.expect(hub_out.wait("subscribed on mqtt://127.0.0.1:%d" % port), "the hub subscribed on the modules' broker")
pub = mqtt.Client(client_id="AIAprilDevice/alert-module")
pub.connect("127.0.0.1", port)
pub.loop_start()
for i in range(5):
    pub.publish("devices/AIAprilDevice/modules/alert-module/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson"
                "&%%24.ce=utf-8&%%24.mid=alert-%d&%%24.cid=test-1234&n=%d" % (i, i), json.dumps({"tag": "Apple", "n": i}),
                qos=1).wait_for_publish()


def file_lines():
    try:
        return [json.loads(l) for l in open(out)]
    except FileNotFoundError:
        return []


c.expect(wait_for(lambda: len(file_lines()) == 5, 20), "the file uplink gets all 5 while the webhook is refusing")
c.expect([m["body"]["n"] for m in file_lines()] == [0, 1, 2, 3, 4], "file: in order")
c.expect(wait_for(lambda: len(accepted) >= 5, 60), "the webhook gets all 5 after its failures: %d" % len(accepted))
with lock:
    c.expect(len(requests) >= 8, "the first requests were refused and retried: %d requests" % len(requests))
    got = list(accepted)
ns = []
for headers, body in got:
    events = json.loads(body)
    c.expect(isinstance(events, list) and len(events) == 1, "an Event Grid array")
    e = events[0]
    ns.append(e["data"]["body"]["n"])
    sig = headers.get("X-Vigil-Signature", "")
    c.expect(sig == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), "HMAC-SHA256 signature")
    c.expect(headers.get("Idempotency-Key") == e["id"] == "alert-%d" % e["data"]["body"]["n"], "idempotency key = event id = messageId")
    c.expect(e["eventType"] == "Microsoft.Devices.DeviceTelemetry" and e["subject"] == "devices/AIAprilDevice/alert-module"
             and e["metadataVersion"] == "1" and e["dataVersion"] == "", "envelope fields")
    sp = e["data"]["systemProperties"]
    c.expect(sp["iothub-connection-device-id"] == "AIAprilDevice" and sp["iothub-connection-module-id"] == "alert-module"
             and sp["iothub-content-type"] == "application/json" and sp["iothub-content-encoding"] == "utf-8"
             and sp["iothub-message-source"] == "Telemetry" and sp["correlation-id"] == "test-1234", "system properties: %s" % sp)
    c.expect(e["data"]["properties"]["n"] == str(e["data"]["body"]["n"]), "application properties")
    c.expect(e["data"]["body"]["tag"] == "Apple", "the tutorial's body as JSON")
c.expect(ns == [0, 1, 2, 3, 4], "webhook: in order, no duplicates: %s" % ns)
hub.send_signal(signal.SIGTERM)
c.expect(hub.wait(timeout=30) == 0, "exit 0")

# A slow but healthy receiver (0.3 s a request): 4 requests in flight by default, each message once; inflight=1
# keeps one at a time.
slow = {"now": 0, "max": 0, "keys": []}


class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            slow["now"] += 1
            slow["max"] = max(slow["max"], slow["now"])
        time.sleep(0.3)
        with lock:
            slow["now"] -= 1
            slow["keys"].append(self.headers["Idempotency-Key"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


slow_httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=slow_httpd.serve_forever, daemon=True).start()
for option, most in (("", 4), ("#inflight=1", 1)):
    slow.update(now=0, max=0, keys=[])
    hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "AIAprilDevice",
                            "--store", os.path.join(tmp, "slow%s.db" % most),
                            "--route", "up=FROM /messages/modules/alert-module/outputs/* INTO $upstream",
                            "--upstream", "http://127.0.0.1:%d/slow%s" % (slow_httpd.server_address[1], option)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(12):
        pub.publish("devices/AIAprilDevice/modules/alert-module/messages/events/%%24.on=output1&%%24.mid=slow-%d" % i,
                    json.dumps({"n": i}), qos=1).wait_for_publish()
    c.expect(wait_for(lambda: len(slow["keys"]) >= 12, 60), "slow receiver%s: all 12 arrive" % option)
    c.expect(slow["max"] == most, "slow receiver%s: %d request(s) in flight at most (saw %d)" % (option, most, slow["max"]))
    c.expect(sorted(slow["keys"]) == sorted(set(slow["keys"])) and len(slow["keys"]) == 12, "each once")
    if most == 1:
        c.expect(slow["keys"] == ["slow-%d" % i for i in range(12)], "inflight=1: in order")
    hub.send_signal(signal.SIGTERM)
    c.expect(hub.wait(timeout=30) == 0, "exit 0")
slow_httpd.shutdown()
pub.loop_stop()
broker.terminate()
broker.wait()
httpd.shutdown()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
