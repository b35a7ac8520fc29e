#!/usr/bin/python3
"""The fleet example's alert module, in another process and another language: it joins vigil's hub over MQTT with
edgeHub's topics (the broker address comes from vigil run's environment: VIGIL_MQTT_HOST/PORT, VIGIL_DEVICE_ID,
VIGIL_MODULE_ID), and sends {"tag", "probability", "site"} on output1 when a prediction's top tag reaches the
threshold. The threshold is a desired property: it starts from VIGIL_DESIRED_PROPERTIES and follows every change
published on VIGIL_DESIRED_TOPIC (edit the manifest while vigil runs: no restart)."""
import json, os
import paho.mqtt.client as mqtt

device, module = os.environ["VIGIL_DEVICE_ID"], os.environ["VIGIL_MODULE_ID"]
threshold = float(json.loads(os.environ.get("VIGIL_DESIRED_PROPERTIES", "{}")).get("threshold", 0.6))
client = mqtt.Client(client_id="%s/%s" % (device, module), clean_session=False)  # persistent: nothing missed on restart


def on_connect(c, userdata, flags, rc):
    c.subscribe("devices/%s/modules/%s/inputs/#" % (device, module), qos=1)
    c.subscribe(os.environ["VIGIL_DESIRED_TOPIC"], qos=1)
    print("joined the hub at %s:%s" % (os.environ["VIGIL_MQTT_HOST"], os.environ["VIGIL_MQTT_PORT"]), flush=True)


def on_message(c, userdata, msg):
    global threshold
    if msg.topic == os.environ["VIGIL_DESIRED_TOPIC"]:
        desired = json.loads(msg.payload)
        threshold = float(desired.get("threshold", 0.6))
        print("threshold %.2f (desired properties version %s)" % (threshold, desired.get("$version")), flush=True)
        return
    predictions = json.loads(msg.payload).get("predictions", [])
    if not predictions:
        return
    top = max(predictions, key=lambda p: p["probability"])
    if top["probability"] < threshold or top["tagName"] == "Negative":
        return
    print("alert: %s %.2f" % (top["tagName"], top["probability"]), flush=True)
    body = json.dumps({"tag": top["tagName"], "probability": top["probability"], "site": device})
    c.publish("devices/%s/modules/%s/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson&%%24.ce=utf-8" % (device, module),
              body, qos=1)


client.on_connect = on_connect
client.on_message = on_message
client.connect(os.environ["VIGIL_MQTT_HOST"], int(os.environ["VIGIL_MQTT_PORT"]))
client.loop_forever(retry_first_connection=True)
