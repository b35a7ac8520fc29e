#!/usr/bin/python3
"""A module between two routes, three ways, in one run of `vigil run` each: N messages (QoS 1) published by this script
as module `source` on vigil's local broker go
  floor   source → $upstream (no module between: the hub, the outbox and the file uplink alone);
  exec    source → a paho-mqtt module (vigil:exec, the plain loopback listener) → $upstream;
  iotedge source → the Node.js Azure IoT SDK module (vigil:iotedge: TLS, SAS token, the broker plugin) → $upstream.
Measures from the first publish until the uplink's file holds all N, and how long the module took from its start to
its first message. Uses build/tests/node_sdk/node_modules (made by the tests' npm ci), or runs npm ci itself.
usage: bench/iotedge_bench.py [N]   (from the project root)"""
import json, os, re, subprocess, sys, tempfile, time
import paho.mqtt.client as mqtt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
VIGIL = os.path.join(ROOT, "build", "vigil")
TOOLS = os.path.join(ROOT, "tests", "tools")
tmp = tempfile.mkdtemp(prefix="vigil-iotedge-bench-")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from vigil_harness import loopback_with_port_free  # noqa: E402


def node_modules():
    built = os.path.join(ROOT, "build", "tests", "node_sdk", "node_modules")
    if os.path.isdir(built):
        return built
    d = os.path.join(tmp, "node")
    os.makedirs(d)
    for f in ("package.json", "package-lock.json"):
        open(os.path.join(d, f), "w").write(open(os.path.join(ROOT, "tests", "node", f)).read())
    subprocess.run(["npm", "ci", "--prefix", d, "--no-audit", "--no-fund"], check=True, capture_output=True)
    return os.path.join(d, "node_modules")


def wait(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise RuntimeError("timed out")


def lines(path):
    try:
        with open(path) as f:
            return sum(1 for l in f if l.endswith("\n"))
    except FileNotFoundError:
        return 0


def scenario(name, middle, ready_text, nm):
    work = os.path.join(tmp, name)
    os.makedirs(work)
    out = os.path.join(work, "up.jsonl")
    modules, routes = {}, {}
    if middle:
        modules["mid"] = {"settings": {"image": middle}, "env": {"NODE_PATH": {"value": nm}}}
        routes = {"in": 'FROM /messages/modules/source/outputs/output1 INTO BrokeredEndpoint("/modules/mid/inputs/input1")',
                  "out": "FROM /messages/modules/mid/outputs/* INTO $upstream"}
    else:
        routes = {"out": "FROM /messages/modules/source/outputs/output1 INTO $upstream"}
    modules["idle"] = {"settings": {"image": "vigil:exec sleep 3600"}}  # the broker starts for exec modules
    manifest = os.path.join(work, "m.json")
    json.dump({"modules": modules, "routes": routes, "uplinks": ["file:" + out]}, open(manifest, "w"))
    log_path = os.path.join(work, "run.log")
    t_start = time.time()
    proc = subprocess.Popen([VIGIL, "run", manifest, "--state-dir", os.path.join(work, "state"),
                             "--edge-listen", loopback_with_port_free(8883)], stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    try:
        log = lambda: open(log_path).read()
        port = int(wait(lambda: re.search(r"local MQTT broker for the modules: mqtt://127\.0\.0\.1:(\d+)", log()), 30).group(1))
        wait(lambda: ready_text in log(), 60)
        t_ready = time.time() - t_start
        pub = mqtt.Client(client_id="bench/source", clean_session=True)
        pub.max_inflight_messages_set(100)
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        topic = "devices/vigil/modules/source/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8"
        t0 = time.time()
        infos = [pub.publish(topic, json.dumps({"seq": i}), qos=1) for i in range(N)]
        for info in infos:
            info.wait_for_publish()
        wait(lambda: lines(out) >= N, 600)
        elapsed = time.time() - t0
        pub.loop_stop()
        pub.disconnect()
    finally:
        proc.terminate()
        proc.wait(30)
    print("%-8s ready %.2f s after start; %d messages in %.2f s -> %.0f messages/s end to end"
          % (name, t_ready, N, elapsed, N / elapsed), flush=True)
    return N / elapsed


nm = node_modules()
floor = scenario("floor", None, "running ", nm)
wrapper = os.path.join(tmp, "paho_module.sh")  # its arguments come from vigil's variables ($VAR in a manifest is .env's)
open(wrapper, "w").write('exec /usr/bin/python3 %s/paho_module.py "$VIGIL_MQTT_PORT" "$VIGIL_DEVICE_ID" "$VIGIL_MODULE_ID"\n' % TOOLS)
exec_ = scenario("exec", "vigil:exec sh " + wrapper, "[mid] ready", nm)
sdk = scenario("iotedge", "vigil:iotedge node " + os.path.join(ROOT, "tests", "node", "sdk_module.js"),
               "[mid] subscribed to its inputs", nm)
print("ratios: iotedge/exec %.2f, iotedge/floor %.2f, exec/floor %.2f" % (sdk / exec_, sdk / floor, exec_ / floor))
