#include "hub/sas.h"

#include <openssl/crypto.h>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/text.h"

namespace vigil::hub {

Result<std::string> hmac_sha256_base64(const std::string& key_base64, const std::string& data) {
  auto key = base64_decode(key_base64);
  if (!key) return make_error(ErrorCode::InvalidArgument, "the SharedAccessKey is not valid base64");
  return base64_encode(hmac_sha256(*key, data));
}

Result<std::string> sas_token(const std::string& resource_uri, const std::string& key_base64, std::int64_t expiry,
                              const std::string& policy_name) {
  const std::string sr = url_encode(resource_uri);
  auto sig = hmac_sha256_base64(key_base64, sr + "\n" + std::to_string(expiry));
  if (!sig) return sig.error();
  std::string token = "SharedAccessSignature sr=" + sr + "&sig=" + url_encode(*sig) + "&se=" + std::to_string(expiry);
  if (!policy_name.empty()) token += "&skn=" + policy_name;
  return token;
}

Result<SasToken> parse_sas_token(const std::string& text) {
  const std::string prefix = "SharedAccessSignature ";
  if (text.compare(0, prefix.size(), prefix) != 0)
    return make_error(ErrorCode::InvalidArgument, "the password is not a SAS token (it must start with 'SharedAccessSignature ')");
  SasToken t;
  bool have_sr = false, have_sig = false, have_se = false, have_skn = false;
  for (std::string_view field : split(std::string_view(text).substr(prefix.size()), '&')) {
    const auto eq = field.find('=');
    const std::string_view key = field.substr(0, eq);
    const std::string value = eq == std::string_view::npos ? "" : std::string(field.substr(eq + 1));
    bool* seen = key == "sr" ? &have_sr : key == "sig" ? &have_sig : key == "se" ? &have_se : key == "skn" ? &have_skn : nullptr;
    if (!seen) return make_error(ErrorCode::InvalidArgument, "the SAS token has an unknown field '" + std::string(key) + "'");
    if (*seen) return make_error(ErrorCode::InvalidArgument, "the SAS token repeats its field '" + std::string(key) + "'");
    *seen = true;
    if (key == "sr") {
      t.signed_resource = value;
      t.resource_uri = url_decode(value);
    } else if (key == "sig") {
      t.signature = url_decode(value);
    } else if (key == "skn") {
      t.policy = url_decode(value);
    } else {
      auto se = parse_whole(value, 0, 253402300799);  // up to year 9999
      if (!se) return make_error(ErrorCode::InvalidArgument, "the SAS token's se is not a time in seconds");
      t.expiry = *se;
    }
  }
  if (!have_sr || !have_sig || !have_se) return make_error(ErrorCode::InvalidArgument, "the SAS token needs sr, sig and se");
  return t;
}

Status check_sas_token(const SasToken& token, const std::string& resource_uri, const std::string& key_raw,
                       std::int64_t now_s) {
  if (token.resource_uri != resource_uri)
    return make_error(ErrorCode::InvalidArgument, "the SAS token is for '" + token.resource_uri + "', not for '" + resource_uri + "'");
  if (!token.policy.empty())
    return make_error(ErrorCode::InvalidArgument, "the SAS token names a policy (skn); a module signs with its own key");
  if (token.expiry <= now_s) return make_error(ErrorCode::InvalidArgument, "the SAS token has expired");
  const std::string expected = base64_encode(hmac_sha256(key_raw, token.signed_resource + "\n" + std::to_string(token.expiry)));
  if (expected.size() != token.signature.size() ||
      CRYPTO_memcmp(expected.data(), token.signature.data(), expected.size()) != 0)
    return make_error(ErrorCode::InvalidArgument, "the SAS token's signature does not match the module's key");
  return ok_status();
}

}  // namespace vigil::hub
