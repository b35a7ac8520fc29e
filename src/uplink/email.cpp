#include "uplink/email.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/files.h"
#include "core/json_text.h"
#include "core/text.h"
#include "http/http_client.h"

namespace vigil::uplink {
namespace {

constexpr std::size_t kMaxClipBytes = 10u << 20;  // a larger clip is named in the mail, not attached (mail servers refuse big mails)

std::string wrap76(const std::string& b64) {
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

class EmailUplink : public hub::EndpointSender {
 public:
  explicit EmailUplink(http::MailRequest base) : base_(std::move(base)) {}
  Status send(const Message& m) override {
    http::MailRequest r = base_;
    r.message = compose_email(m, r.from, r.to);
    return http::send_mail(r);
  }
  std::string describe() const override { return redact_secrets(base_.url); }

 private:
  http::MailRequest base_;
};

}  // namespace

std::string compose_email(const Message& m, const std::string& from, const std::vector<std::string>& to,
                          const std::string& boundary) {
  const auto body = nlohmann::json::parse(m.body, nullptr, false);
  std::string subject = "vigil message from " + (m.system.connection_module_id.empty() ? std::string("vigil") : m.system.connection_module_id);
  std::string text;
  if (body.is_object() && body.contains("tag") && body["tag"].is_string()) {
    const std::string camera = body.value("camera", m.properties.count("camera") ? m.properties.at("camera") : "");
    const bool clip = body.value("event", "") == "clip";
    subject = std::string(clip ? "vigil clip: " : "vigil alert: ") + body["tag"].get<std::string>() + (camera.empty() ? "" : " on " + camera);
    for (const auto& [k, v] : body.items()) text += k + ": " + (v.is_string() ? v.get<std::string>() : json_text(v)) + "\r\n";
    text += "\r\n";
  }
  text += json_text(message_to_json(m), 2);
  std::string to_line;
  for (const auto& t : to) to_line += (to_line.empty() ? "" : ", ") + t;
  std::string out = "From: " + from + "\r\nTo: " + to_line + "\r\nSubject: " + subject + "\r\nDate: " +
                    (m.system.creation_time_utc.empty() ? std::string("") : m.system.creation_time_utc) +
                    "\r\nMessage-ID: <" + m.system.message_id + "@vigil>\r\nMIME-Version: 1.0\r\n";
  // Attachments: the alert's snapshot; a clip (a "clip" follow-up, deploy/evidence.h) under kMaxClipBytes.
  struct Attachment {
    const char* type;
    const char* name;
    std::string bytes;
  };
  std::vector<Attachment> files;
  if (auto it = m.properties.find("snapshot"); it != m.properties.end())
    if (auto bytes = read_file(it->second)) files.push_back({"image/jpeg", "snapshot.jpg", std::move(*bytes)});
  if (body.is_object() && body.value("event", "") == "clip" && body.contains("clip") && body["clip"].is_string()) {
    if (auto bytes = read_file(body["clip"].get<std::string>(), kMaxClipBytes)) files.push_back({"video/mp4", "clip.mp4", std::move(*bytes)});
    else text = "(the clip is larger than " + std::to_string(kMaxClipBytes >> 20) + " MB: see it on the review page)\r\n" + text;
  }
  // Text lines: CRLF line ends; a leading '.' would end the SMTP DATA section, so it is doubled by curl itself.
  std::string crlf_text = std::regex_replace(text, std::regex("\r?\n"), "\r\n");
  if (files.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\n\r\n" + crlf_text + "\r\n";
    return out;
  }
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + crlf_text + "\r\n";
  for (const auto& f : files)
    out += "--" + boundary + "\r\nContent-Type: " + f.type + "\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"" + f.name + "\"\r\n\r\n" + wrap76(base64_encode(f.bytes));
  out += "--" + boundary + "--\r\n";
  return out;
}

Result<std::shared_ptr<hub::EndpointSender>> make_email_uplink(const std::string& uri) {
  static const std::regex re(R"(^(smtps?)://(?:([^:@/]*)(?::([^@/]*))?@)?([^/:?]+)(?::(\d+))?/?(?:\?(.*))?$)");
  std::smatch m;
  if (!std::regex_match(uri, m, re)) {
    const std::string shown = redact_secrets(uri);
    return make_error(ErrorCode::InvalidArgument, "'" + shown + "' is not an SMTP URI (smtp://user:pass@host:587/?from=a@b&to=c@d)");
  }
  http::MailRequest r;
  const bool tls = m[1] == "smtps";
  r.user = url_decode(m[2].str());
  r.password = url_decode(m[3].str());
  r.url = std::string(tls ? "smtps://" : "smtp://") + m[4].str() + ":" + (m[5].matched ? m[5].str() : (tls ? "465" : "25"));
  std::string query = m[6].str();
  std::size_t p = 0;
  while (p < query.size()) {
    const auto amp = query.find('&', p);
    const std::string pair = query.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
    p = amp == std::string::npos ? query.size() : amp + 1;
    const auto eq = pair.find('=');
    const std::string k = pair.substr(0, eq), v = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    if (k == "from") r.from = v;
    else if (k == "to") r.to.push_back(v);
    else if (k == "starttls") r.starttls = v == "1" || v == "true";
    else if (k == "ca") r.ca_file = v;
    else if (!k.empty()) return make_error(ErrorCode::InvalidArgument, "e-mail option '" + k + "' is unknown (from, to, starttls, ca)");
  }
  if (r.from.empty() || r.to.empty())
    return make_error(ErrorCode::InvalidArgument, "the e-mail uplink needs ?from=…&to=… in its URI");
  return std::shared_ptr<hub::EndpointSender>(std::make_shared<EmailUplink>(r));
}

}  // namespace vigil::uplink
