// The webhook uplink: each message upstream becomes an HTTP POST (libcurl through http::HttpClient).
//   https://host/path[#format=eventgrid&secret=S&device=D&topic=T]
// Options ride in the URL's fragment (never sent to the server):
//   format=message (default)  the message's JSON form (docs/messages.md)
//   format=eventgrid          an Event Grid array of one Microsoft.Devices.DeviceTelemetry event (spec §4.1), so the
//                             tutorial's Logic App "When an HTTP request is received" trigger accepts it as is
//   secret=S                  adds X-Vigil-Signature: sha256=<hex HMAC-SHA256(S, body)>
//   inflight=N                up to N requests at once (default 4; 1 keeps strict order), each on its own
//                             connection, so a slow but healthy receiver is not held to one message per round trip
// Every request carries Idempotency-Key: <messageId> (the same on a retry). A non-2xx answer or a network error is
// a failed delivery: the outbox keeps the message and the pump retries with back-off. With more than one in flight,
// the messages of one round that did arrive are removed; those that failed are sent again in the next round.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/message.h"
#include "core/result.h"
#include "hub/hub.h"

namespace vigil::uplink {

// The Event Grid event for a message (pure).
nlohmann::json event_grid_event(const Message& m, const std::string& topic);

// Lower-case hex of HMAC-SHA256(secret, data).
std::string hmac_sha256_hex(const std::string& secret, const std::string& data);

Result<std::shared_ptr<hub::EndpointSender>> make_webhook_uplink(const std::string& uri);

}  // namespace vigil::uplink
