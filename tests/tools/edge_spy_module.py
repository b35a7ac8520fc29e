#!/usr/bin/python3
"""A vigil:iotedge module that tests the edge listener's rules from the inside, with paho-mqtt instead of an Azure
SDK: it gets its trust bundle and a token from the IoT Edge workload API (IOTEDGE_WORKLOADURI, a Unix socket), then
  - asks the workload API to sign for another module (expects 403);
  - connects with a token signed by a wrong key, with an expired one and with none (expects each refused), and with
    one that expires in 2 s (expects the connection closed at its first message after that);
  - connects properly, tries to subscribe to the module named in argv[1]'s inputs and to send as that module
    (expects the subscription refused; the message must never reach $upstream), reads its own twin (expects its own
    desired properties, not the other module's) and reports {"spy": "done"}.
Prints "spy <check> <result>" lines (they end up in `vigil logs MODULE`), then "spy finished"."""
import base64, hashlib, hmac, http.client, json, os, socket, ssl, sys, threading, time, urllib.parse
import paho.mqtt.client as mqtt

env = os.environ
device, module, hub_host = env["IOTEDGE_DEVICEID"], env["IOTEDGE_MODULEID"], env["IOTEDGE_IOTHUBHOSTNAME"]
host = env["IOTEDGE_GATEWAYHOSTNAME"]
victim = sys.argv[1]


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def workload(method, path, body=None):
    c = UnixConnection(urllib.parse.urlparse(env["IOTEDGE_WORKLOADURI"]).path)
    c.request(method, path + "?api-version=" + env["IOTEDGE_APIVERSION"], body=json.dumps(body) if body else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")


def token(target, expiry, sign=None):
    sr = urllib.parse.quote("%s/devices/%s/modules/%s" % (hub_host, device, target), safe="")
    data = ("%s\n%d" % (sr, expiry)).encode()
    if sign is None:
        status, answer = workload("POST", "/modules/%s/genid/%s/sign" % (target, env["IOTEDGE_MODULEGENERATIONID"]),
                                  {"keyId": "primary", "algo": "HMACSHA256", "data": base64.b64encode(data).decode()})
        sig = answer["digest"]
    else:
        sig = base64.b64encode(hmac.new(sign, data, hashlib.sha256).digest()).decode()
    return "SharedAccessSignature sr=%s&sig=%s&se=%d" % (sr, urllib.parse.quote(sig, safe=""), expiry)


status, bundle = workload("GET", "/trust-bundle")
ca = os.path.join(os.getcwd(), "spy-ca-%d.pem" % os.getpid())
with open(ca, "w") as f:
    f.write(bundle["certificate"])
print("spy trust-bundle %d" % status, flush=True)
status, _ = workload("POST", "/modules/%s/genid/%s/sign" % (victim, env["IOTEDGE_MODULEGENERATIONID"]),
                     {"keyId": "primary", "algo": "HMACSHA256", "data": "eA=="})
print("spy sign-for-other %d" % status, flush=True)


def client(password, username=None):
    c = mqtt.Client(client_id="%s/%s" % (device, module), clean_session=True)
    c.tls_set(ca_certs=ca)
    if username is not False:
        c.username_pw_set(username or "%s/%s/%s/?api-version=2019-10-01" % (hub_host, device, module), password)
    result = threading.Event()
    c.on_connect = lambda cl, u, f, rc: (setattr(cl, "rc", rc), result.set())
    c.on_disconnect = lambda cl, u, rc: (setattr(cl, "rc", getattr(cl, "rc", rc)), result.set())
    h, _, p = host.partition(":")
    c.connect(h, int(p or 8883))
    c.loop_start()
    result.wait(10)
    return c


def try_connect(name, password, username=None):
    c = client(password, username)
    print("spy %s rc=%s" % (name, getattr(c, "rc", "none")), flush=True)
    c.loop_stop()
    c.disconnect()


now = int(time.time())
try_connect("wrong-key", token(module, now + 600, sign=b"not the module key"))
try_connect("expired", token(module, now - 10))
try_connect("other-module", token(victim, now + 600, sign=b"x"), "%s/%s/%s/" % (hub_host, device, victim))
try_connect("anonymous", None, False)

# A token that expires while connected: the listener closes the connection at its next message (the SDKs reconnect
# with a new token before theirs expire).
expiry = int(time.time()) + 2
short = client(token(module, expiry))
gone = threading.Event()
short.on_disconnect = lambda cl, u, rc: gone.set()
while time.time() <= expiry + 0.2:
    time.sleep(0.1)
short.publish("$iothub/twin/GET/?$rid=late", " ", qos=1)
print("spy short-token rc=%s closed-after-expiry=%s" % (getattr(short, "rc", "none"), gone.wait(10)), flush=True)
short.loop_stop()

c = client(token(module, now + 600))
print("spy valid rc=%s" % getattr(c, "rc", "none"), flush=True)
got = {}
twin, reported, granted = threading.Event(), threading.Event(), threading.Event()


def on_message(cl, u, m):
    if m.topic.startswith("$iothub/twin/res/200"):
        got["twin"] = json.loads(m.payload)
        twin.set()
    elif m.topic.startswith("$iothub/twin/res/204"):
        reported.set()
    elif m.topic.startswith("devices/%s/modules/%s/" % (device, victim)):
        print("spy LEAK got %s" % m.topic, flush=True)


c.on_message = on_message
c.on_subscribe = lambda cl, u, mid, qos: (got.setdefault("granted", []).append(qos[0]), granted.set())
c.subscribe("devices/%s/modules/%s/inputs/#" % (device, victim), qos=1)
granted.wait(5)
print("spy subscribe-other granted=%s" % got.get("granted"), flush=True)
c.publish("devices/%s/modules/%s/messages/events/%%24.on=output1" % (device, victim), json.dumps({"forged": True}), qos=1).wait_for_publish(5)
print("spy publish-as-other sent", flush=True)
c.subscribe("$iothub/twin/res/#", qos=0)
c.publish("$iothub/twin/GET/?$rid=spy1", " ", qos=0)
twin.wait(5)
print("spy twin %s" % json.dumps(got.get("twin", {}).get("desired", {}), sort_keys=True), flush=True)
c.publish("$iothub/twin/PATCH/properties/reported/?$rid=spy2", json.dumps({"spy": "done"}), qos=0)
print("spy reported %s" % reported.wait(5), flush=True)
c.loop_stop()
c.disconnect()
os.remove(ca)
print("spy finished", flush=True)
while True:  # a module keeps running; vigil stops it
    time.sleep(3600)
