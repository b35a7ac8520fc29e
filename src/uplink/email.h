// The e-mail uplink: one message per alert over SMTP (the tutorial's Logic App e-mail, without the cloud).
//   smtp://[user:password@]host[:port]/?from=vigil@example.com&to=me@example.com[&to=…][&starttls=1][&ca=PATH]
//   smtps://…   (TLS from the start, port 465 by default)
// Subject "vigil alert: <tag> on <camera>" when the body is an alert, else "vigil message from <module>"; a plain-text
// part with the alert's fields and the message's JSON; the snapshot attached as image/jpeg when the message has a
// "snapshot" property naming a readable file.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "hub/hub.h"

namespace vigil::uplink {

// The RFC 5322 message for a hub message (pure apart from reading the snapshot file); `boundary` fixed for tests.
std::string compose_email(const Message& m, const std::string& from, const std::vector<std::string>& to,
                          const std::string& boundary = "vigil-boundary-7d1c");

Result<std::shared_ptr<hub::EndpointSender>> make_email_uplink(const std::string& uri);

}  // namespace vigil::uplink
