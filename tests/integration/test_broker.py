#!/usr/bin/python3
"""The local broker `vigil run` starts for exec modules is supervised: killed with SIGKILL while a Python module
publishes 600 numbered messages (QoS 1), it is restarted on the same port, the hub (within 2 s) and the module
reconnect, and every message reaches $upstream. (Its persistence in the state folder covers the race this test does
not force: a module back before the hub finds the hub's session and its queued messages still there.)"""
import argparse, json, os, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, terminate
from camera_harness import wait_for, TOOLS

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-broker-test-")
N = 600
out = os.path.join(tmp, "up.jsonl")
manifest = os.path.join(tmp, "m.json")
with open(manifest, "w") as f:
    json.dump({"modules": {"counter": {"settings": {"image": "vigil:exec /usr/bin/python3 %s %d" % (os.path.join(TOOLS, "counter_module.py"), N)}}},
               "routes": {"up": "FROM /messages/modules/counter/outputs/* INTO $upstream"},
               "uplinks": ["file:" + out]}, f)
state = os.path.join(tmp, "state")
log = open(os.path.join(tmp, "run.log"), "w")
proc = subprocess.Popen([a.vigil, "run", manifest, "--state-dir", state] + (["--log-level", "debug"] if os.environ.get("VIGIL_TEST_DEBUG") else []),
                        stdout=log, stderr=subprocess.STDOUT)


def delivered():
    try:
        with open(out) as f:
            return {json.loads(json.loads(l)["body"])["seq"] if isinstance(json.loads(l)["body"], str) else json.loads(l)["body"]["seq"]
                    for l in f if l.strip()}
    except (FileNotFoundError, ValueError, KeyError):
        return set()


def broker_pid():
    r = subprocess.run(["pgrep", "-f", "mosquitto -c " + os.path.join(state, "mosquitto.conf")], capture_output=True, text=True)
    pids = [int(p) for p in r.stdout.split()]
    return pids[0] if pids else None


def run_log():
    with open(os.path.join(tmp, "run.log")) as f:
        return f.read()


try:
    c.expect(wait_for(lambda: len(delivered()) >= 100, 60), "messages flow before the broker dies: %d" % len(delivered()))
    first = broker_pid()
    c.expect(first is not None, "the local mosquitto runs")
    if first:
        os.kill(first, signal.SIGKILL)
        c.expect(wait_for(lambda: "is up again" in run_log(), 30), "vigil restarts its broker:\n" + run_log()[-1500:])
        c.expect(broker_pid() not in (None, first), "a new mosquitto process")
    c.expect(wait_for(lambda: len(delivered()) == N, 90), "every message reaches $upstream after the restart: %d of %d, missing %s"
             % (len(delivered()), N, sorted(set(range(1, N + 1)) - delivered())[:20]))
finally:
    terminate(proc)
sys.exit(c.done())
