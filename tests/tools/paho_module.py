#!/usr/bin/python3
"""A module in another process and another language: joins vigil's hub over MQTT with paho-mqtt, using
edgeHub's topics. It receives on its input and, for each message, sends {"tag", "seq", "from"} on output1
(what an alert module does). Prints "ready" once subscribed. usage: paho_module.py PORT DEVICE MODULE"""
import json, sys, urllib.parse
import paho.mqtt.client as mqtt

port, device, module = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = mqtt.Client(client_id="%s/%s" % (device, module), clean_session=False)


def on_connect(c, userdata, flags, rc):
    c.subscribe("devices/%s/modules/%s/inputs/#" % (device, module), qos=1)


def on_subscribe(c, userdata, mid, granted):
    print("ready", flush=True)


def on_message(c, userdata, msg):
    bag = msg.topic.split("/inputs/", 1)[1].split("/", 1)
    props = dict(urllib.parse.parse_qsl(bag[1], keep_blank_values=True)) if len(bag) > 1 else {}
    body = json.loads(msg.payload)
    out = json.dumps({"tag": body.get("tag", "Apple"), "seq": body["seq"], "from": props.get("$.cmid")})
    topic = "devices/%s/modules/%s/messages/events/%%24.on=output1&%%24.ct=application%%2Fjson&%%24.ce=utf-8&%%24.mid=%s-%d&seq=%d" % (
        device, module, module, body["seq"], body["seq"])
    c.publish(topic, out, qos=1)


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", port)
client.loop_forever(retry_first_connection=True)
