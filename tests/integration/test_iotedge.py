#!/usr/bin/python3
"""vigil:iotedge: a module written with Microsoft's Node.js Azure IoT SDK (azure-iot-device + azure-iot-device-mqtt
from the npm registry; tests/node/sdk_module.js, no line of it for vigil) runs under `vigil run` as under IoT Edge:
  - it connects with ModuleClient.fromEnvironment (the workload API's trust bundle and signature, MQTT over TLS to
    the edge listener on a loopback address, port 8883);
  - messages flow through routes: a vigil:exec module's output → its input1 → its output1 → $upstream;
  - its twin's desired properties arrive (GET), and a change in the manifest reaches it at run time as a patch;
  - what it reports lands in `vigil list` and status.json.
A second vigil:iotedge module written with paho-mqtt (tests/tools/edge_spy_module.py) checks the listener's rules from
inside: a token for another module, with a wrong key, expired, or none is refused; the workload API signs for its
own module only; a valid module cannot subscribe to or send as another module, and its twin is its own.
usage: test_iotedge.py --vigil BIN --node-modules DIR"""
import argparse, json, os, re, signal, subprocess, sys, tempfile
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, Lines, loopback_with_port_free, terminate
from camera_harness import wait_for, TOOLS

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--node-modules", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-iotedge-")
SDK_MODULE = os.path.join(os.path.dirname(TOOLS), "node", "sdk_module.js")
N = 5


host = loopback_with_port_free(8883)  # the SDKs' own port, so the module needs no port setting
out = os.path.join(tmp, "upstream.jsonl")


def manifest(threshold):
    """The IoT Edge manifest form, as users have it, with the module images replaced by vigil's kinds."""
    modules = {
        "counter": {"settings": {"image": "vigil:exec /usr/bin/python3 %s %d" % (os.path.join(TOOLS, "counter_module.py"), N)},
                    "restartPolicy": "never", "startupOrder": 2},
        "sdkmodule": {"settings": {"image": "vigil:iotedge node " + SDK_MODULE},
                      "env": {"NODE_PATH": {"value": a.node_modules}}, "startupOrder": 1},
        "spy": {"settings": {"image": "vigil:iotedge /usr/bin/python3 %s sdkmodule" % os.path.join(TOOLS, "edge_spy_module.py")},
                "startupOrder": 1},
    }
    routes = {"toSdk": "FROM /messages/modules/counter/outputs/output1 INTO BrokeredEndpoint(\"/modules/sdkmodule/inputs/input1\")",
              "later": "FROM /messages/modules/source/outputs/output1 INTO BrokeredEndpoint(\"/modules/sdkmodule/inputs/input1\")",
              "sdkUp": "FROM /messages/modules/sdkmodule/outputs/* INTO $upstream",
              "spyUp": "FROM /messages/modules/spy/outputs/* INTO $upstream"}
    return {"modulesContent": {
        "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1", "modules": modules}},
        "$edgeHub": {"properties.desired": {"schemaVersion": "1.1", "routes": routes, "uplinks": ["file:" + out]}},
        "sdkmodule": {"properties.desired": {"threshold": threshold, "labels": {"a": 1}}},
        "spy": {"properties.desired": {"role": "spy"}}}}


path = os.path.join(tmp, "deployment.json")
with open(path, "w") as f:
    json.dump(manifest(0.5), f)
state = os.path.join(tmp, "state")
proc = subprocess.Popen([a.vigil, "run", path, "--state-dir", state, "--edge-listen", host],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
log = Lines(proc)


def upstream():
    try:
        with open(out) as f:
            return [json.loads(l) for l in f if l.strip()]
    except (FileNotFoundError, ValueError):
        return []


def listed():
    r = subprocess.run([a.vigil, "list", "--state-dir", state], capture_output=True, text=True)
    return r.stdout


def reported(module):
    try:
        with open(os.path.join(state, "status.json")) as f:
            return next((m.get("reported") for m in json.load(f)["modules"] if m["name"] == module), None)
    except (FileNotFoundError, ValueError):
        return None


try:
    # The SDK module: connected, twin read, messages through the routes.
    c.expect(log.wait("[sdkmodule] sdk connected", 60), "the Node SDK module connects through the workload API and the edge listener")
    c.expect(log.wait('sdk twin desired {"$version":2,"labels":{"a":1},"threshold":0.5}', 30),
             "the module reads its desired properties from its twin")
    relayed = wait_for(lambda: [m for m in upstream() if m["systemProperties"].get("connectionModuleId") == "sdkmodule"]
                       if len(upstream()) >= N else None, 60)
    bodies = sorted((m["body"]["seq"], m["body"]["seenBy"]) for m in relayed or [])
    c.expect(bodies == [(i, "sdkmodule") for i in range(1, N + 1)], "every message went counter → sdkmodule → $upstream: %s" % bodies)
    c.expect(all(m["properties"].get("relayed") == "yes" and m["systemProperties"].get("outputName") == "output1"
                 for m in relayed or []), "the SDK's output name and application properties are kept")
    c.expect(wait_for(lambda: (reported("sdkmodule") or {}).get("started") is True, 30),
             "its reported properties are in status.json: %s" % reported("sdkmodule"))
    c.expect('sdkmodule  {"$version":' in listed() and '"started":true' in listed(), "vigil list shows them:\n" + listed())

    # A desired-property change in the manifest reaches the running module as a patch, which it reports back.
    with open(path, "w") as f:
        json.dump(manifest(0.8), f)
    c.expect(log.wait('[sdkmodule] sdk desired {"$version":3,"threshold":0.8}', 30),
             "the changed desired property arrives as a patch with the next version")
    c.expect(wait_for(lambda: (reported("sdkmodule") or {}).get("threshold") == 0.8, 30),
             "the module's new report lands in status.json: %s" % reported("sdkmodule"))

    # The listener's rules, from the spy module.
    c.expect(log.wait("spy finished", 60), "the spy module ran its checks")
    for line, what in [("spy trust-bundle 200", "the workload API gives the trust bundle"),
                       ("spy sign-for-other 403", "the workload API signs for its own module only"),
                       ("spy wrong-key rc=5", "a token signed with a wrong key is refused"),
                       ("spy expired rc=5", "an expired token is refused"),
                       ("spy other-module rc=5", "a user name that claims another module is refused"),
                       ("spy anonymous rc=5", "a client without a token is refused"),
                       ("spy short-token rc=0 closed-after-expiry=True", "a connection is closed when its token has expired"),
                       ("spy valid rc=0", "a valid token is accepted"),
                       ("spy subscribe-other granted=[128]", "a module cannot subscribe to another module's inputs"),
                       ('spy twin {"$version": 2, "role": "spy"}', "a module's twin is its own"),
                       ("spy reported True", "a reported-properties patch is acknowledged (204)")]:
        c.expect(line in log.text(), what)
    c.expect("spy LEAK" not in log.text(), "the spy received nothing of the other module")
    c.expect(not any("forged" in json.dumps(m["body"]) for m in upstream()), "a message sent as another module never reaches $upstream")
    c.expect("the SAS token has expired" in log.text() and "does not match the module's key" in log.text(),
             "vigil's log says why a connection was refused")
    c.expect((reported("spy") or {}).get("spy") == "done", "the spy's own report is kept apart: %s" % reported("spy"))
    # The broker dies (SIGKILL): vigil starts it again with its plugin and both listeners, the hub and the SDK module
    # reconnect, and messages flow through the module again.
    pids = subprocess.run(["pgrep", "-f", "mosquitto -c " + os.path.join(state, "mosquitto.conf")], capture_output=True, text=True).stdout.split()
    c.expect(len(pids) == 1, "one local mosquitto runs: %s" % pids)
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    c.expect(log.wait("the local MQTT broker is up again", 30), "vigil restarts its broker")
    port = int(re.search(r"local MQTT broker for the modules: mqtt://127\.0\.0\.1:(\d+)", log.text()).group(1))
    source = mqtt.Client(client_id="vigil/source")
    source.connect("127.0.0.1", port)
    source.loop_start()
    for seq in range(100, 100 + N):
        source.publish("devices/vigil/modules/source/messages/events/%24.on=output1", json.dumps({"seq": seq}), qos=1).wait_for_publish(10)
    source.loop_stop()
    after = wait_for(lambda: sorted(m["body"]["seq"] for m in upstream() if m["body"].get("seq", 0) >= 100
                                    and m["systemProperties"].get("connectionModuleId") == "sdkmodule") or None, 60)
    c.expect(after == list(range(100, 100 + N)), "after the broker's restart the SDK module relays again: %s" % after)
    secret = open(os.path.join(state, "edge", "hub.secret")).read()
    c.expect(secret not in log.text(), "the hub's secret is never printed")
    c.expect(oct(os.stat(os.path.join(state, "edge", "master.key")).st_mode & 0o777) == "0o600", "the master key is private (0600)")
finally:
    code = terminate(proc)
c.expect(code == 0, "vigil run stops cleanly (exit %s)" % code)
if c.failures:
    print(log.text()[-6000:])
sys.exit(c.done())
