#!/usr/bin/python3
"""Home Assistant MQTT discovery through a real mosquitto: `vigil hub` with an MQTT uplink `?homeassistant=1` gets
per-object alerts (two people detected, one crossing a line, both leaving) and a camera health change, as the alert
and camera modules send them. A subscriber in Home Assistant's place checks every discovery config (retained, with
the keys its MQTT schema requires, one device), follows the state topics (occupancy on and off with the objects,
counts, crossings, the snapshot image as JPEG bytes, the source problem), sees availability go offline when
vigil is killed (the uplink's last will), and, when `vigil run` starts with a manifest that no longer has the back
camera, sees that camera's entities removed and the others kept."""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, threading
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, Lines, start_mosquitto
from camera_harness import wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-ha-test-")
import cv2, numpy as np
snap = os.path.join(tmp, "snap.jpg")
cv2.imwrite(snap, np.full((48, 64, 3), 90, np.uint8))
port, broker = start_mosquitto(tmp)


class Watcher:
    """Home Assistant's side: every message under homeassistant/# and vigil/#, in order, and the last per topic."""

    def __init__(self, name):
        self.history, self.lock = [], threading.Lock()
        self.client = mqtt.Client(client_id=name)
        self.client.on_connect = lambda cl, u, f, rc: (cl.subscribe("homeassistant/#", 1), cl.subscribe("vigil/#", 1))
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on_message(self, cl, u, msg):
        with self.lock:
            self.history.append((msg.topic, msg.payload, msg.retain))

    def last(self, topic):
        with self.lock:
            for t, p, _ in reversed(self.history):
                if t == topic:
                    return p
        return None

    def states(self, topic):
        with self.lock:
            return [p.decode() for t, p, _ in self.history if t == topic]

    def configs(self):
        with self.lock:
            return {t: json.loads(p) for t, p, _ in self.history if t.startswith("homeassistant/") and t.endswith("/config")}


ha = Watcher("home-assistant")
hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "edge",
                        "--store", os.path.join(tmp, "outbox.db"), "--route", "up=FROM /messages/modules/* INTO $upstream",
                        "--upstream", "mqtt://127.0.0.1:%d/up/{device}/{module}/{output}?homeassistant=1" % port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
out = Lines(hub)
c.expect(out.wait("subscribed on mqtt://127.0.0.1:%d" % port), "vigil hub subscribed")
pub = mqtt.Client(client_id="edge/alerts")
pub.connect("127.0.0.1", port)
pub.loop_start()


def send(module, output, body, **props):
    bag = "".join("&%s=%s" % (k, v.replace("/", "%2F")) for k, v in props.items())
    pub.publish("devices/edge/modules/%s/messages/events/%%24.on=%s&%%24.ct=application%%2Fjson&%%24.ce=utf-8%s"
                % (module, output, bag), json.dumps(body), qos=1).wait_for_publish()


def alert(event, obj, **more):
    body = {"tag": "person", "probability": 0.9, "camera": "front", "event": event, "objectId": obj}
    body.update(more)
    send("alerts", "output1", body, snapshot=snap)


BASE = "vigil/edge/ha/%s/state"
OCC, COUNT, LINE, IMAGE, PROBLEM = (BASE % "front_person_occupancy", BASE % "front_person_count",
                                    BASE % "front_gate_crossings", BASE % "front_snapshot", BASE % "front_source_problem")
alert("detected", "front-1")
c.expect(wait_for(lambda: ha.states(COUNT)[-1:] == ["1"], 15), "one person: count 1 (%s)" % ha.states(COUNT))
alert("detected", "front-2")
alert("crossed", "front-1", line="gate", direction="in")
c.expect(wait_for(lambda: ha.last(LINE) == b"1", 15), "a crossing: gate crossings 1 (%s)" % ha.states(LINE))
alert("ended", "front-1", seconds=4.0)
alert("ended", "front-2", seconds=6.0)
c.expect(wait_for(lambda: ha.states(COUNT)[-1:] == ["0"], 15), "both left: count 0")
c.expect(ha.states(COUNT) == ["1", "2", "2", "1", "0"], "counts follow the objects: %s" % ha.states(COUNT))
c.expect(ha.states(OCC) == ["ON", "ON", "ON", "ON", "OFF"], "occupancy on while anyone is in view: %s" % ha.states(OCC))
c.expect(ha.last(IMAGE) == open(snap, "rb").read(), "the snapshot entity gets the alert's JPEG")
send("alerts", "output1", {"tag": "car", "probability": 0.8, "camera": "back"})  # a camera the next run will not have
c.expect(wait_for(lambda: ha.last(BASE % "back_car_occupancy") == b"ON", 15), "per-frame alert: on")
send("front", "health", {"camera": "front", "state": "lost", "previous": "live", "reason": "the stream stopped"})
c.expect(wait_for(lambda: ha.last(PROBLEM) == b"ON", 15), "a lost source is a problem: %s" % ha.states(PROBLEM))

configs = ha.configs()
BACK = {"homeassistant/binary_sensor/vigil_edge/back_car_occupancy/config", "homeassistant/sensor/vigil_edge/back_car_count/config"}
c.expect(BACK <= set(configs) and configs["homeassistant/binary_sensor/vigil_edge/back_car_occupancy/config"].get("off_delay") == 60,
         "the back camera's entities, its occupancy turning off by itself")
for t in BACK:
    del configs[t]
c.expect(set(configs) == {"homeassistant/binary_sensor/vigil_edge/front_person_occupancy/config",
                          "homeassistant/sensor/vigil_edge/front_person_count/config",
                          "homeassistant/sensor/vigil_edge/front_gate_crossings/config",
                          "homeassistant/image/vigil_edge/front_snapshot/config",
                          "homeassistant/binary_sensor/vigil_edge/front_source_problem/config"}, "the entities: %s" % sorted(configs))
for topic, cfg in configs.items():
    component = topic.split("/")[1]
    need = {"name", "unique_id", "availability_topic", "device", "image_topic" if component == "image" else "state_topic"}
    c.expect(need <= set(cfg), "%s has %s" % (topic, sorted(need - set(cfg))))
    c.expect(cfg.get("device", {}).get("identifiers") == ["vigil_edge"] and cfg["device"].get("sw_version"),
             "%s: one device, with vigil's version" % topic)
    c.expect(cfg.get("availability_topic") == "vigil/edge/status", "%s: availability from the uplink's status" % topic)
c.expect(configs["homeassistant/binary_sensor/vigil_edge/front_person_occupancy/config"].get("device_class") == "occupancy",
         "occupancy device class")
c.expect(configs["homeassistant/sensor/vigil_edge/front_gate_crossings/config"].get("state_class") == "total_increasing",
         "crossings are a total")

# Retained: Home Assistant starting now gets every config and the states at once.
late = Watcher("home-assistant-restarted")
c.expect(wait_for(lambda: len(late.configs()) == 7 and late.last(COUNT) == b"0" and late.last(LINE) == b"1", 15),
         "configs and states are retained: %d configs" % len(late.configs()))
c.expect(late.last("vigil/edge/status") == b"online", "available: online")
hub.send_signal(signal.SIGKILL)
hub.wait()
c.expect(wait_for(lambda: ha.last("vigil/edge/status") == b"offline", 60), "vigil killed: offline (the last will)")

# vigil run with a manifest that has only the front camera: the back camera's entities are removed (empty retained
# configs), the front camera's stay.
manifest = os.path.join(tmp, "m.json")
json.dump({"modules": {"front": {"settings": {"image": "vigil:camera"}, "env": {"VIDEO_PATH": {"value": os.path.join(tmp, "none.mp4")}}}},
           "routes": {}, "uplinks": ["mqtt://127.0.0.1:%d/up?homeassistant=1" % port]}, open(manifest, "w"))
run = subprocess.Popen([a.vigil, "run", manifest, "--device-id", "edge", "--state-dir", os.path.join(tmp, "state")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
c.expect(wait_for(lambda: all(ha.last(t) == b"" for t in BACK), 30), "the back camera's entities are removed")
fresh = Watcher("home-assistant-again")
c.expect(wait_for(lambda: len(fresh.configs()) == 5, 15) and not (BACK & set(fresh.configs())),
         "what stays retained: the front camera's 5 entities: %s" % sorted(fresh.configs()))
run.send_signal(signal.SIGTERM)
c.expect(run.wait(timeout=30) == 0, "vigil run stops")
for w in (ha, late, fresh):
    w.client.loop_stop()
pub.loop_stop()
broker.terminate()
broker.wait()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
