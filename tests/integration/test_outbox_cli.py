#!/usr/bin/python3
"""`vigil outbox` on a real store next to a running `vigil hub` (real mosquitto on loopback): alerts wait for a
webhook that refuses; the webhook is then taken out of the uplinks, so its queue steps aside as
$upstream-gone:<uplink>; `vigil outbox list/show` report it; `move` hands it to the file uplink while the hub runs
(delivered within seconds, in order); `drop` needs --yes."""
import argparse, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, start_mosquitto, terminate
from camera_harness import wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-outbox-cli-test-")
store = os.path.join(tmp, "outbox.db")
out = os.path.join(tmp, "up.jsonl")


class Refuser(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuser)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
hook = "http://127.0.0.1:%d/hook" % httpd.server_address[1]
port, broker = start_mosquitto(tmp)


def outbox(*args):
    return subprocess.run([a.vigil, "outbox", *args, "--store", store], capture_output=True, text=True, timeout=30)


class Hub:
    def __init__(self, *uplinks):
        args = [a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "edge", "--store", store,
                "--route", "up=FROM /messages/modules/cam/outputs/* INTO $upstream"]
        for u in uplinks:
            args += ["--upstream", u]
        self.lines = []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: [self.lines.append(l) for l in self.proc.stdout], daemon=True).start()
        c.expect(wait_for(lambda: any("connected to mqtt" in l for l in self.lines), 20), "vigil hub starts")

    def log(self):
        return "".join(self.lines)


def routed_file():
    try:
        bodies = [json.loads(l)["body"] for l in open(out) if l.strip()]
        return [(json.loads(b) if isinstance(b, str) else b)["n"] for b in bodies]
    except FileNotFoundError:
        return []


try:
    hub = Hub(hook)
    pub = mqtt.Client(client_id="edge/cam")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    for n in range(3):
        pub.publish("devices/edge/modules/cam/messages/events/%24.on=output1&%24.mid=m-" + str(n), json.dumps({"n": n}),
                    qos=1).wait_for_publish()
    c.expect(wait_for(lambda: "503" in hub.log(), 20), "the webhook refuses")
    r = outbox("list")
    c.expect(r.returncode == 0 and re.search(r"\$upstream\s+3\s", r.stdout) and hook in r.stdout,
             "list: 3 wait in $upstream for the webhook:\n" + r.stdout + r.stderr)
    terminate(hub.proc)
    # The webhook leaves the uplinks: its queue steps aside, never to the file uplink.
    hub = Hub("file:" + out)
    gone = "$upstream-gone:" + hook
    c.expect(wait_for(lambda: "no longer an uplink" in hub.log(), 10), "the hub says the queue stepped aside:\n" + hub.log())
    r = outbox("list", "--json")
    queues = {q["queue"]: q for q in json.loads(r.stdout)} if r.returncode == 0 else {}
    c.expect(queues.get(gone, {}).get("messages") == 3 and "no longer an uplink" in queues[gone]["for"],
             "list --json: the queue aside with what it was for: %s" % queues)
    r = outbox("show", gone)
    c.expect(r.returncode == 0 and [l.split()[2] for l in r.stdout.splitlines()] == ["m-0", "m-1", "m-2"],
             "show: its messages in delivery order:\n" + r.stdout + r.stderr)
    c.expect(routed_file() == [], "nothing of it went to the file uplink")
    # Moved to the file uplink's queue while the hub runs: delivered within seconds, in order.
    r = outbox("move", gone, "$upstream")
    c.expect(r.returncode == 0 and "moved 3 message(s)" in r.stdout, "move: " + r.stdout + r.stderr)
    c.expect(wait_for(lambda: routed_file() == [0, 1, 2], 15), "the moved messages are delivered: %s" % routed_file())
    r = outbox("move", gone, "$upstream")
    c.expect(r.returncode == 1 and "nothing waits" in r.stderr, "moving an empty queue says so: " + r.stderr)
    terminate(hub.proc)
    # drop needs --yes.
    hub = Hub(hook)
    for n in range(3, 5):
        pub.publish("devices/edge/modules/cam/messages/events/%24.on=output1", json.dumps({"n": n}), qos=1).wait_for_publish()
    c.expect(wait_for(lambda: "503" in hub.log(), 20), "the webhook refuses again")
    r = outbox("drop", "$upstream")
    c.expect(r.returncode == 1 and "--yes" in r.stderr and "2 message(s)" in r.stderr, "drop without --yes: " + r.stderr)
    r = outbox("drop", "$upstream", "--yes")
    c.expect(r.returncode == 0 and "dropped 2" in r.stdout, "drop --yes: " + r.stdout + r.stderr)
    c.expect("nothing waits" in outbox("list").stdout, "the store is empty")
    terminate(hub.proc)
    r = subprocess.run([a.vigil, "outbox", "--store", os.path.join(tmp, "nope.db")], capture_output=True, text=True)
    c.expect(r.returncode == 1 and "no outbox at" in r.stderr, "a store that is not there: " + r.stderr)
finally:
    broker.terminate()
    broker.wait()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
