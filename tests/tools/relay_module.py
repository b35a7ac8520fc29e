#!/usr/bin/python3
"""A vigil:exec module in Python: joins the hub over MQTT with the address `vigil run` passes in its environment
(VIGIL_MQTT_HOST/PORT, VIGIL_DEVICE_ID, VIGIL_MODULE_ID), reads predictions on any input and sends the top tag as
{"tag", "probability", "from"} on output1. Prints a line per message (they end up in `vigil logs MODULE`)."""
import json, os, urllib.parse
import paho.mqtt.client as mqtt

device, module = os.environ["VIGIL_DEVICE_ID"], os.environ["VIGIL_MODULE_ID"]
client = mqtt.Client(client_id="%s/%s" % (device, module), clean_session=False)


def on_connect(c, userdata, flags, rc):
    c.subscribe("devices/%s/modules/%s/inputs/#" % (device, module), qos=1)
    print("relay connected", flush=True)


def on_message(c, userdata, msg):
    bag = msg.topic.split("/inputs/", 1)[1].split("/", 1)
    props = dict(urllib.parse.parse_qsl(bag[1], keep_blank_values=True)) if len(bag) > 1 else {}
    preds = json.loads(msg.payload).get("predictions", [])
    if not preds:
        return
    top = max(preds, key=lambda p: p["probability"])
    print("relay got %s %.3f from %s" % (top["tagName"], top["probability"], props.get("$.cmid")), flush=True)
    out = json.dumps({"tag": top["tagName"], "probability": top["probability"], "from": props.get("$.cmid")})
    c.publish("devices/%s/modules/%s/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson&%%24.ce=utf-8" % (device, module),
              out, qos=1)


client.on_connect = on_connect
client.on_message = on_message
client.connect(os.environ["VIGIL_MQTT_HOST"], int(os.environ["VIGIL_MQTT_PORT"]))
client.loop_forever(retry_first_connection=True)
