// An IoT Edge module written the way Microsoft's Node.js SDK samples write one, with nothing for vigil in it:
// ModuleClient.fromEnvironment(Mqtt) reads the IoT Edge environment, gets its token from the workload API and
// connects to the edge listener. It forwards each message on input1 to output1 (adding "seenBy"), reads its
// twin, reports {"started": true} and, on each desired-property change, reports {"threshold": <the new value>}.
// It prints a line per event (they end up in `vigil logs MODULE`).
'use strict';
const { ModuleClient, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

function fail(what, err) {
  console.log(what + ' failed: ' + err);
  process.exit(1);
}

ModuleClient.fromEnvironment(Mqtt, (err, client) => {
  if (err) return fail('fromEnvironment', err);
  client.on('error', (e) => console.log('client error: ' + e.message));
  client.open((err) => {
    if (err) return fail('open', err);
    console.log('sdk connected');
    client.on('inputMessage', (inputName, msg) => {
      client.complete(msg, () => {});
      const body = JSON.parse(msg.getBytes().toString());
      body.seenBy = process.env.IOTEDGE_MODULEID;
      const out = new Message(JSON.stringify(body));
      out.contentType = 'application/json';
      out.contentEncoding = 'utf-8';
      out.properties.add('relayed', 'yes');
      client.sendOutputEvent('output1', out, (err) => console.log('sdk sent ' + body.seq + ' ' + (err ? err : 'ok')));
    });
    client.getTwin((err, twin) => {
      if (err) return fail('getTwin', err);
      console.log('sdk twin desired ' + JSON.stringify(twin.properties.desired));
      twin.on('properties.desired', (delta) => {
        console.log('sdk desired ' + JSON.stringify(delta));
        if (delta.threshold !== undefined) {
          twin.properties.reported.update({ threshold: delta.threshold }, (err) =>
            console.log('sdk reported threshold ' + delta.threshold + ' ' + (err ? err : 'ok')));
        }
      });
      twin.properties.reported.update({ started: true, sdk: 'azure-iot-device' }, (err) =>
        console.log('sdk reported started ' + (err ? err : 'ok')));
    });
  });
});
