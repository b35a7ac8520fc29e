#!/usr/bin/python3
"""A vigil:exec module that takes desired properties at run time: it prints the document `vigil run` passed in
VIGIL_DESIRED_PROPERTIES, subscribes to VIGIL_DESIRED_TOPIC (the retained desired document with its "$version"),
and prints every document it receives. Its lines end up in `vigil logs MODULE`."""
import json, os
import paho.mqtt.client as mqtt

device, module = os.environ["VIGIL_DEVICE_ID"], os.environ["VIGIL_MODULE_ID"]
print("twin env desired %s" % json.dumps(json.loads(os.environ["VIGIL_DESIRED_PROPERTIES"]), sort_keys=True), flush=True)
client = mqtt.Client(client_id="%s/%s" % (device, module))
client.on_connect = lambda c, u, f, rc: c.subscribe(os.environ["VIGIL_DESIRED_TOPIC"], qos=1)
client.on_message = lambda c, u, m: print("twin desired %s" % json.dumps(json.loads(m.payload), sort_keys=True), flush=True)
client.connect(os.environ["VIGIL_MQTT_HOST"], int(os.environ["VIGIL_MQTT_PORT"]))
client.loop_forever(retry_first_connection=True)
