#!/usr/bin/python3
"""The e-mail uplink against a real SMTP server (aiosmtpd) on loopback: the server is down when the alert is
accepted, the alert waits in the outbox, and when the server starts the e-mail arrives — with login, the alert's
subject, its fields, and the snapshot attached as image/jpeg."""
import argparse, email, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import cv2, numpy as np
import paho.mqtt.client as mqtt
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, free_port, start_mosquitto, Lines
from camera_harness import Tool, wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
tmp = tempfile.mkdtemp(prefix="vigil-email-test-")


snap = os.path.join(tmp, "snap.jpg")
img = np.zeros((120, 160, 3), np.uint8)
cv2.rectangle(img, (40, 30), (120, 90), (0, 0, 255), -1)
cv2.imwrite(snap, img)

smtp_port = free_port()
port, broker = start_mosquitto(tmp)
mail = os.path.join(tmp, "mail")
hub = subprocess.Popen([a.vigil, "hub", "--broker", "mqtt://127.0.0.1:%d" % port, "--device-id", "edge01",
                        "--store", os.path.join(tmp, "outbox.db"), "--metrics-port", "0",
                        "--route", "up=FROM /messages/modules/alert-module/outputs/* INTO $upstream",
                        "--upstream", "smtp://vigil:secret@127.0.0.1:%d/?from=vigil%%40example.com&to=me%%40example.com&to=you%%40example.com" % smtp_port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
hub_out = Lines(hub)
c.expect(hub_out.wait("subscribed on mqtt://127.0.0.1:%d" % port), "the hub subscribed on the modules' broker")
pub = mqtt.Client(client_id="edge01/alert-module")
pub.connect("127.0.0.1", port)
pub.loop_start()
body = {"tag": "Apple", "probability": 0.93, "camera": "kitchen"}
pub.publish("devices/edge01/modules/alert-module/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson&%%24.ce=utf-8"
            "&camera=kitchen&snapshot=%s" % snap.replace("/", "%2F"), json.dumps(body), qos=1).wait_for_publish()
c.expect(hub_out.wait("sending mail via smtp://127.0.0.1"), "the hub tried and failed: the SMTP server is down")
c.expect(not os.path.exists(mail) or not os.listdir(mail), "nothing delivered while the SMTP server is down")
server = Tool("smtp_server.py", smtp_port, mail)
c.expect(wait_for(lambda: os.path.isdir(mail) and os.listdir(mail), 30), "delivered once the server is up (retry with back-off)")
files = sorted(os.listdir(mail)) if os.path.isdir(mail) else []
c.expect(len(files) == 1, "exactly one e-mail: %s" % files)
if files:
    raw = open(os.path.join(mail, files[0]), "rb").read()
    msg = email.message_from_bytes(raw)
    c.expect(msg["X-Envelope-From"] == "vigil@example.com" and msg["X-Envelope-To"] == "me@example.com,you@example.com",
             "envelope from and both recipients")
    c.expect(msg["Subject"] == "vigil alert: Apple on kitchen", "subject: %s" % msg["Subject"])
    parts = list(msg.walk())
    text = next((p for p in parts if p.get_content_type() == "text/plain"), None)
    c.expect(text is not None and "probability: 0.93" in text.get_payload(decode=True).decode(), "the alert's fields in the text")
    jpeg = next((p for p in parts if p.get_content_type() == "image/jpeg"), None)
    c.expect(jpeg is not None, "the snapshot is attached")
    if jpeg is not None:
        att = cv2.imdecode(np.frombuffer(jpeg.get_payload(decode=True), np.uint8), cv2.IMREAD_COLOR)
        c.expect(att is not None and att.shape == (120, 160, 3), "the attachment is the snapshot")
hub.send_signal(signal.SIGTERM)
c.expect(hub.wait(timeout=30) == 0, "exit 0")
c.expect("secret" not in hub_out.text(), "the SMTP password is never printed")
server.stop()
pub.loop_stop()
broker.terminate()
broker.wait()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
