#!/usr/bin/python3
"""The e-mail uplink against a real SMTP server (aiosmtpd) on loopback: the server is down when the alert is
accepted, the alert waits in the outbox, and when the server starts the e-mail arrives — with login, the alert's
subject, its fields, and the snapshot attached as image/jpeg. Then two clip follow-ups (deploy/evidence.h): a small
clip (made by ffmpeg) arrives attached as video/mp4, byte for byte; one over 10 MB is named, not attached."""
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

# Clip follow-ups: a small real clip is attached; one over the limit is only named.
small, big = os.path.join(tmp, "small.mp4"), os.path.join(tmp, "big.mp4")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", small], check=True)
with open(big, "wb") as f:
    f.write(os.urandom(11 << 20))
for path in (small, big):
    clip = {"tag": "Apple", "camera": "kitchen", "event": "clip", "alertId": "a1", "clip": path, "clipSeconds": 2.0}
    pub.publish("devices/edge01/modules/alert-module/messages/events/%24.on=output1&%24.ct=application%2Fjson&%24.ce=utf-8"
                "&camera=kitchen&event=clip", json.dumps(clip), qos=1).wait_for_publish()
c.expect(wait_for(lambda: len(os.listdir(mail)) == 3, 30), "both clip mails arrive: %s" % os.listdir(mail))
mails = [email.message_from_bytes(open(os.path.join(mail, f), "rb").read()) for f in sorted(os.listdir(mail))]
by_subject = [m for m in mails if m["Subject"] == "vigil clip: Apple on kitchen"]
c.expect(len(by_subject) == 2, "two mails with the clip subject: %s" % [m["Subject"] for m in mails])
videos = [[p.get_payload(decode=True) for p in m.walk() if p.get_content_type() == "video/mp4"] for m in by_subject]
c.expect(sorted(len(v) for v in videos) == [0, 1], "one clip attached, the big one not: %s" % [len(v) for v in videos])
c.expect(any(v and v[0] == open(small, "rb").read() for v in videos), "the attachment is the clip, byte for byte")
named = [m for m, v in zip(by_subject, videos) if not v]
c.expect(named and "larger than 10 MB" in named[0].get_payload(decode=True).decode() if named and not named[0].is_multipart()
         else False, "the big clip is named in the text instead")
hub.send_signal(signal.SIGTERM)
c.expect(hub.wait(timeout=30) == 0, "exit 0")
c.expect("secret" not in hub_out.text(), "the SMTP password is never printed")
server.stop()
pub.loop_stop()
broker.terminate()
broker.wait()
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
