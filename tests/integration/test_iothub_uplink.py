#!/usr/bin/python3
"""The IoT Hub uplink against a real mosquitto on loopback that plays IoT Hub's MQTT endpoint: TLS with a CA and
server certificate made here with openssl, a password file holding the exact user name and SAS token IoT Hub would
expect (computed here, independently, with Python's hmac from the spec's recipe), and an ACL allowing only the
device's telemetry topic. `vigil hub` routes an alert to $upstream = iothub:…; the test checks the connection was
accepted, the client id, and the topic with its property bag and body, as the spec says."""
import argparse, base64, hashlib, hmac, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.parse
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port
from camera_harness import wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-iothub-test-")


def run(*cmd):
    subprocess.run(cmd, check=True, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# A CA and a server certificate for "localhost".
run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
    "-subj", "/CN=vigil test CA")
run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
open(os.path.join(tmp, "san.ext"), "w").write("subjectAltName=DNS:localhost\n")
run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.pem", "-days", "2", "-extfile", "san.ext")

HOST, DEVICE = "localhost", "cam01"
KEY = base64.b64encode(b"vigil test device key 0123456789").decode()
se = int(time.time()) + 3600
sr = urllib.parse.quote(HOST + "/devices/" + DEVICE, safe="")
sig = base64.b64encode(hmac.new(base64.b64decode(KEY), (sr + "\n" + str(se)).encode(), hashlib.sha256).digest()).decode()
TOKEN = "SharedAccessSignature sr=%s&sig=%s&se=%d" % (sr, urllib.parse.quote(sig, safe=""), se)
USER = HOST + "/" + DEVICE + "/?api-version=2021-04-12"

tls_port, plain_port = free_port(), free_port()
run("mosquitto_passwd", "-c", "-b", "passwd", USER, TOKEN)
run("mosquitto_passwd", "-b", "passwd", "observer", "observer")
run("mosquitto_passwd", "-b", "passwd", "uplink", "pw 1")
open(os.path.join(tmp, "acl"), "w").write(
    "user %s\ntopic write devices/%s/messages/events/#\n\nuser observer\ntopic read #\n\n"
    "user uplink\ntopic write alerts/#\ntopic write vigil/+/status\n" % (USER, DEVICE))
conf = os.path.join(tmp, "mosquitto.conf")
with open(conf, "w") as f:
    f.write("per_listener_settings false\nallow_anonymous false\npassword_file %s/passwd\nacl_file %s/acl\n"
            "log_dest file %s/broker.log\nlog_type all\n"
            "listener %d 127.0.0.1\ncafile %s/ca.pem\ncertfile %s/server.pem\nkeyfile %s/server.key\n"
            "listener %d 127.0.0.1\n" % (tmp, tmp, tmp, tls_port, tmp, tmp, tmp, plain_port))
    if os.geteuid() == 0:
        f.write("user root\n")
def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def hub_connected(log_path, port):
    """The hub logs this once the module broker has acknowledged its subscriptions."""
    return "subscribed on mqtt://127.0.0.1:%d" % port in open(log_path).read()


broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
c.expect(wait_for(lambda: listening(plain_port) and listening(tls_port), 30), "the broker listens")

got, subscribed = [], []
obs = mqtt.Client(client_id="observer")
obs.username_pw_set("observer", "observer")
obs.on_connect = lambda cl, u, fl, rc: cl.subscribe([("devices/#", 1), ("alerts/#", 1), ("vigil/#", 1)])
obs.on_subscribe = lambda cl, u, mid, qos: subscribed.append(mid)
obs.on_message = lambda cl, u, m: got.append((m.topic, m.payload))
obs.connect("127.0.0.1", plain_port)
obs.loop_start()
c.expect(wait_for(lambda: subscribed, 30), "the observer is subscribed")

modules_port = free_port()
mconf = os.path.join(tmp, "modules.conf")
open(mconf, "w").write("listener %d 127.0.0.1\nallow_anonymous true\n" % modules_port)
modules = subprocess.Popen(["mosquitto", "-c", mconf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
c.expect(wait_for(lambda: listening(modules_port), 30), "the modules' broker listens")
hub_log = os.path.join(tmp, "hub.log")
cs = "HostName=%s;DeviceId=%s;SharedAccessSignature=%s" % (HOST, DEVICE, TOKEN)
hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % modules_port, "--device-id", "edge01",
                        "--store", os.path.join(tmp, "outbox.db"),
                        "--route", "up=FROM /messages/modules/alert/outputs/* INTO $upstream",
                        "--upstream", "iothub:%s?port=%d&ca=%s/ca.pem" % (cs, tls_port, tmp),
                        "--upstream", "mqtts://uplink:pw%%201@localhost:%d/alerts/{device}/{module}?ca=%s/ca.pem" % (tls_port, tmp)],
                       stdout=open(hub_log, "w"), stderr=subprocess.STDOUT, text=True)
pub = mqtt.Client(client_id="edge01/alert")
pub.connect("127.0.0.1", modules_port)
pub.loop_start()
c.expect(wait_for(lambda: hub_connected(hub_log, modules_port), 60), "the hub subscribed on the modules' broker")
pub.publish("devices/edge01/modules/alert/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8"
            "&%24.mid=alert-1&%24.cid=pred-9&camera=front%20door", json.dumps({"tag": "Apple"}), qos=1).wait_for_publish()
c.expect(wait_for(lambda: [t for t, _ in got if t.startswith("devices/")], 30), "the alert reached the IoT Hub endpoint")
c.expect(wait_for(lambda: [t for t, _ in got if t == "alerts/edge01/alert"], 30),
         "the same alert reached the generic MQTT uplink over TLS with its password: %s" % [t for t, _ in got])
c.expect(("vigil/edge01/status", b"online") in got, "the MQTT uplink announced itself online")
got[:] = [g for g in got if g[0].startswith("devices/")]
if got:
    topic, payload = got[0]
    c.expect(topic.startswith("devices/cam01/messages/events/"), "device telemetry topic: %s" % topic)
    bag = dict(urllib.parse.parse_qsl(topic.split("/messages/events/", 1)[1], keep_blank_values=True))
    c.expect(bag.get("$.mid") == "alert-1" and bag.get("$.cid") == "pred-9", "message and correlation ids in the bag: %s" % bag)
    c.expect(bag.get("$.ct") == "application/json" and bag.get("$.ce") == "utf-8", "content type and encoding in the bag")
    c.expect(bag.get("camera") == "front door" and "%20" in topic and "+" not in topic, "properties URL-encoded with %20")
    c.expect(json.loads(payload) == {"tag": "Apple"}, "the tutorial's body")
log = open(os.path.join(tmp, "broker.log")).read()
c.expect(re.search(r"as cam01 \(.*u'%s'\)" % re.escape(USER), log) is not None,
         "client id cam01 and the IoT Hub user name were accepted with the SAS token over TLS")
hub.send_signal(signal.SIGTERM)
c.expect(hub.wait(timeout=30) == 0, "vigil hub exits 0")

# A wrong token is refused by the broker, and the hub keeps the message in its outbox (no loss).
bad = cs.replace("sig=", "sig=AA")
hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % modules_port, "--device-id", "edge01",
                        "--store", os.path.join(tmp, "outbox2.db"), "--metrics-port", "0",
                        "--route", "up=FROM /messages/modules/alert/outputs/* INTO $upstream",
                        "--upstream", "iothub:%s?port=%d&ca=%s/ca.pem" % (bad, tls_port, tmp)],
                       stdout=open(hub_log, "w"), stderr=subprocess.STDOUT, text=True)
c.expect(wait_for(lambda: hub_connected(hub_log, modules_port), 60), "the second hub subscribed on the modules' broker")
before = len(got)
pub.publish("devices/edge01/modules/alert/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8",
            json.dumps({"tag": "Banana"}), qos=1).wait_for_publish()
refused = lambda: "bad user name or password" in open(hub_log).read() or "not authorised" in open(hub_log).read()
c.expect(wait_for(refused, 60), "the log says why: %s" % open(hub_log).read()[-400:])
import sqlite3


def waiting2():
    try:
        return sqlite3.connect(os.path.join(tmp, "outbox2.db")).execute("select count(*) from outbox").fetchone()[0]
    except sqlite3.Error:
        return 0


c.expect(wait_for(lambda: waiting2() == 1, 30), "the alert waits in the outbox")
c.expect(len(got) == before, "a refused token delivers nothing")
hub.send_signal(signal.SIGTERM)
c.expect(hub.wait(timeout=30) == 0, "the second hub exits 0")
c.expect(waiting2() == 1, "the undelivered alert is still in the outbox")

pub.loop_stop()
obs.loop_stop()
for p in (broker, modules):
    p.terminate()
    p.wait()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
