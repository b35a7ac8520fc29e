#include "deploy/edge_pki.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "core/crypto.h"
#include "core/files.h"

namespace vigil::deploy {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

constexpr long kDay = 24 * 3600;

Result<std::string> pem_of(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || write(bio.get()) != 1) return make_error(ErrorCode::Internal, "OpenSSL could not write a PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, named `cn`, signed by `issuer_key` (`issuer` null: self-signed).
Result<Cert> make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, long days,
                       const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new(), X509_free);
  const std::string serial = random_bytes(16);
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 15, nullptr);  // 120 bits, positive
  const bool ok = cert && bn && X509_set_version(cert.get(), 2) == 1 && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) && X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * kDay) &&
                  X509_set_pubkey(cert.get(), key) == 1;
  BN_free(bn);
  if (!ok) return make_error(ErrorCode::Internal, "OpenSSL could not make a certificate");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("vigil"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  for (const auto& [nid, value] : extensions)
    if (!add_extension(cert.get(), issuer ? issuer : cert.get(), nid, value))
      return make_error(ErrorCode::Internal, "OpenSSL refused the certificate extension " + value);
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return make_error(ErrorCode::Internal, "OpenSSL could not sign a certificate");
  return cert;
}

Result<Key> new_key() {
  Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return make_error(ErrorCode::Internal, "OpenSSL could not make a key");
  return key;
}

// The key (0600) and its certificate, as PEM files.
Status save(EVP_PKEY* key, X509* cert, const std::string& key_file, const std::string& cert_file) {
  auto key_pem = pem_of([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  auto cert_pem = pem_of([&](BIO* b) { return PEM_write_bio_X509(b, cert); });
  if (!key_pem || !cert_pem) return make_error(ErrorCode::Internal, "OpenSSL could not write " + cert_file);
  if (auto s = write_file_atomic(key_file, *key_pem, 0600); !s) return s;
  return write_file_atomic(cert_file, *cert_pem);
}

// A key or certificate from a PEM file (`read`: PEM_read_PrivateKey or PEM_read_X509).
template <typename T>
Result<std::unique_ptr<T, void (*)(T*)>> read_pem(const std::string& path, T* (*read)(FILE*, T**, pem_password_cb*, void*),
                                                  void (*free)(T*)) {
  std::unique_ptr<FILE, decltype(&fclose)> f(fopen(path.c_str(), "r"), fclose);
  T* object = f ? read(f.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!object) return make_error(ErrorCode::InvalidArgument, "cannot read " + path + " (delete ca.pem and ca.pem.key there to make a new CA)");
  return std::unique_ptr<T, void (*)(T*)>(object, free);
}

std::string subject_alt_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    unsigned char buf[16];
    const bool ip = inet_pton(AF_INET, n.c_str(), buf) == 1 || inet_pton(AF_INET6, n.c_str(), buf) == 1;
    out += (out.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + n;
  }
  return out;
}

// The CA, made once.
Status ensure_ca(const EdgePki& pki) {
  if (std::filesystem::exists(pki.ca_file) && std::filesystem::exists(pki.ca_file + ".key")) return ok_status();
  auto key = new_key();
  if (!key) return key.error();
  auto ca = make_cert(key->get(), "vigil local CA", nullptr, key->get(), 3650,
                      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"}, {NID_key_usage, "critical,keyCertSign,cRLSign"},
                       {NID_subject_key_identifier, "hash"}});
  if (!ca) return ca.error();
  return save(key->get(), ca->get(), pki.ca_file + ".key", pki.ca_file);
}

}  // namespace

Result<EdgePki> ensure_edge_pki(const std::string& dir, const std::vector<std::string>& names) {
  EdgePki pki{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", ""};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (auto s = ensure_ca(pki); !s) return s.error();
  auto ca_key = read_pem(pki.ca_file + ".key", PEM_read_PrivateKey, EVP_PKEY_free);
  if (!ca_key) return ca_key.error();
  auto ca = read_pem(pki.ca_file, PEM_read_X509, X509_free);
  if (!ca) return ca.error();
  auto key = new_key();
  if (!key) return key.error();
  auto cert = make_cert(key->get(), names.empty() ? "localhost" : names.front(), ca->get(), ca_key->get(), 365,
                        {{NID_basic_constraints, "critical,CA:FALSE"}, {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                         {NID_ext_key_usage, "serverAuth"}, {NID_subject_alt_name, subject_alt_names(names)},
                         {NID_authority_key_identifier, "keyid"}});
  if (!cert) return cert.error();
  if (auto s = save(key->get(), cert->get(), pki.key_file, pki.cert_file); !s) return s.error();
  auto ca_pem = read_file(pki.ca_file);
  if (!ca_pem) return ca_pem.error();
  pki.ca_pem = *ca_pem;
  return pki;
}

}  // namespace vigil::deploy
