#!/usr/bin/python3
"""An exec module that publishes N numbered messages on output1 (QoS 1, persistent session), one every 20 ms, over
the broker vigil gives it (VIGIL_MQTT_HOST/PORT), and keeps publishing through broker outages (paho queues what
it cannot send and sends it once it is back). Prints "sent N" when all are acknowledged. usage: counter_module.py N"""
import os, sys, time
import paho.mqtt.client as mqtt

n = int(sys.argv[1])
device, module = os.environ["VIGIL_DEVICE_ID"], os.environ["VIGIL_MODULE_ID"]
client = mqtt.Client(client_id="%s/%s" % (device, module), clean_session=False)
client.max_queued_messages_set(0)  # no limit
client.reconnect_delay_set(0.2, 2)
acked = set()
client.on_publish = lambda c, u, mid: acked.add(mid)
client.connect_async(os.environ["VIGIL_MQTT_HOST"], int(os.environ["VIGIL_MQTT_PORT"]))
client.loop_start()
mids = []
for seq in range(1, n + 1):
    topic = "devices/%s/modules/%s/messages/events/%%24.on=output1&%%24.mid=%s-%d&seq=%d" % (device, module, module, seq, seq)
    mids.append(client.publish(topic, '{"seq": %d}' % seq, qos=1).mid)
    time.sleep(0.02)
while not all(m in acked for m in mids):
    time.sleep(0.1)
print("sent %d" % n, flush=True)
time.sleep(3600)
