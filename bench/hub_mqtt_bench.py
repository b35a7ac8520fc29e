#!/usr/bin/python3
"""Messages routed per second over MQTT: a paho-mqtt publisher sends N QoS 1 messages as module `camera` on
output1 to a local mosquitto; `vigil hub` routes them to $upstream through its durable outbox into a file.
Measures from the first publish until the file holds all N. Also runs build/bench/vigil_hub_bench (in-process
routing, outbox appends and drain). usage: bench/hub_mqtt_bench.py [N]   (from the project root)"""
import json, os, signal, socket, subprocess, sys, tempfile, time
import paho.mqtt.client as mqtt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
tmp = tempfile.mkdtemp(prefix="vigil-hub-bench-")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import free_port  # noqa: E402


print("in-process:", subprocess.run([os.path.join(ROOT, "build", "bench", "vigil_hub_bench")], capture_output=True,
                                    text=True, check=True).stdout.strip())
port = free_port()
conf = os.path.join(tmp, "m.conf")
open(conf, "w").write("listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n" % port)
broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
out = os.path.join(tmp, "up.jsonl")
hub = subprocess.Popen([os.path.join(ROOT, "build", "vigil"), "hub", "--broker", "mqtt://127.0.0.1:%d" % port,
                        "--device-id", "bench", "--store", os.path.join(tmp, "outbox.db"), "--upstream", "file:" + out,
                        "--route", "up=FROM /messages/modules/camera/outputs/output1 WHERE $body.p >= 0.6 INTO $upstream"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
pub = mqtt.Client(client_id="bench/camera")
pub.max_inflight_messages_set(100)
pub.connect("127.0.0.1", port)
pub.loop_start()
topic = "devices/bench/modules/camera/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8"
t0 = time.time()
infos = [pub.publish(topic, json.dumps({"seq": i, "p": 0.9}), qos=1) for i in range(N)]
for info in infos:
    info.wait_for_publish()
t_pub = time.time() - t0


def lines():
    try:
        with open(out) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


while lines() < N and time.time() - t0 < 300:
    time.sleep(0.05)
total = time.time() - t0
print("over MQTT: %d messages published (QoS 1) in %.2f s; all %d routed through the outbox to file:upstream "
      "in %.2f s -> %.0f messages/s end to end" % (N, t_pub, lines(), total, lines() / total))
hub.send_signal(signal.SIGTERM)
hub.wait()
broker.terminate()
broker.wait()
