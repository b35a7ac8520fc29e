// The edge listener's certificates, made with OpenSSL: vigil's own local CA (made at the first start, kept in the
// state folder: ca.pem and ca.key, 0600) and the listener's server certificate for its host names, signed by that CA
// and made again at every start (so a changed --edge-listen host is always covered). Modules get ca.pem as their
// trust bundle. Keys are ECDSA P-256; the CA is valid for 10 years, the server certificate for 1 year.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace vigil::deploy {

struct EdgePki {
  std::string ca_file, cert_file, key_file;  // PEM files in `dir`
  std::string ca_pem;                        // the trust bundle
};

// `names`: the server certificate's subject alternative names (IP addresses and DNS names; the first is its CN).
Result<EdgePki> ensure_edge_pki(const std::string& dir, const std::vector<std::string>& names);

}  // namespace vigil::deploy
