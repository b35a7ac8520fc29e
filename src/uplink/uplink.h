// Uplinks: where `$upstream` delivers to, each fed by the hub's durable outbox (one pump per uplink). Made from a
// URI by make_uplink():
//   console:                  one line per message on stdout: [module] body
//   file:PATH                 one JSON line per message (docs/messages.md form), flushed and fsync'ed
//   mqtt://[user:pass@]host[:port][/topic-template][?ca=PATH]   and mqtts://…   QoS 1, waits for the PUBACK;
//                             template fields {device} {module} {output}; default vigil/{device}/{module}/{output};
//                             payload: the message's JSON form; vigil/{device}/status is a retained "online",
//                             and "offline" as the last will when the connection dies
//   iothub:HostName=…;DeviceId=…[;ModuleId=…];SharedAccessKey=…[?port=8883&ca=PATH]   (or the bare connection
//                             string) Azure IoT Hub telemetry over MQTT/TLS with a SAS token renewed before expiry
//   https://…[#format=eventgrid&secret=S]   an HTTP POST per message (uplink/webhook.h)
//   smtp://[user:pass@]host[:port]/?from=…&to=…[&starttls=1]   an e-mail per message (uplink/email.h)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "hub/hub.h"

namespace vigil::uplink {

// `cameras`: the deployment's camera ids, when known (Home Assistant discovery removes the entities of others).
Result<std::shared_ptr<hub::EndpointSender>> make_uplink(const std::string& uri, const std::string& device_id,
                                                         const std::vector<std::string>& cameras = {});

}  // namespace vigil::uplink
