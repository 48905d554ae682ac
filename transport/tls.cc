#include "transport/tls.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_write.h"
#include "core/status.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

std::string ssl_error() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

bool is_ip(const std::string& h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`'s public half, named `cn`, signed by issuer_key (issuer null: self-signed).
absl::StatusOr<Cert> cert_make(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                               const std::vector<std::pair<int, std::string>>& exts) {
  Cert c(X509_new(), X509_free);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_set_version(c.get(), 2);  // v3
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 365L * 24 * 3600);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ascent run"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  for (const auto& [nid, value] : exts) {
    if (!add_ext(c.get(), issuer ? issuer : c.get(), nid, value))
      return absl::InternalError(absl::StrCat("certificate extension ", value, ": ", ssl_error()));
  }
  if (X509_sign(c.get(), issuer_key, EVP_sha256()) == 0)
    return absl::InternalError("signing a certificate: " + ssl_error());
  return c;
}

template <typename Write>
absl::Status pem_write(const std::string& path, Write write, bool secret) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (write(bio) != 1) {
    BIO_free(bio);
    return absl::InternalError(absl::StrCat(path, ": ", ssl_error()));
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string text(data, static_cast<size_t>(n));
  BIO_free(bio);
  return file_write_atomic(path, text, secret ? 0600 : 0644);
}

// The existing server certificate names every host (and was signed by the CA beside it).
bool covers(const TlsFiles& f, const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (!fs::exists(f.ca, ec) || !fs::exists(f.cert, ec) || !fs::exists(f.key, ec)) return false;
  FILE* fp = std::fopen(f.cert.c_str(), "r");
  if (fp == nullptr) return false;
  Cert c(PEM_read_X509(fp, nullptr, nullptr, nullptr), X509_free);
  std::fclose(fp);
  if (!c) return false;
  for (const std::string& h : hosts) {
    const int match = is_ip(h) ? X509_check_ip_asc(c.get(), h.c_str(), 0)
                               : X509_check_host(c.get(), h.c_str(), h.size(), 0, nullptr);
    if (match != 1) return false;
  }
  return X509_cmp_time(X509_get0_notAfter(c.get()), nullptr) > 0;
}

}  // namespace

absl::StatusOr<std::string> tls_read_pem(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(path, ": cannot read ", what));
  std::stringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN ") == std::string::npos)
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", what, " is not a PEM file"));
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls_server_credentials(const TlsFiles& f) {
  absl::StatusOr<std::string> cert = tls_read_pem(f.cert, "the server certificate (run.tls.cert)");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = tls_read_pem(f.key, "the server key (run.tls.key)");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions o;
  o.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(o);
}

absl::StatusOr<TlsFiles> tls_make_run_ca(const std::string& dir, const std::vector<std::string>& hosts_in) {
  std::vector<std::string> hosts = {kRunCaServerName, "localhost", "127.0.0.1"};
  for (const std::string& h : hosts_in) {
    if (!h.empty() && std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  }
  TlsFiles f{(fs::path(dir) / "ca.pem").string(), (fs::path(dir) / "server.pem").string(),
             (fs::path(dir) / "server.key").string()};
  if (covers(f, hosts)) return f;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));

  Key ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free), server_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!ca_key || !server_key) return absl::InternalError("making a P-256 key: " + ssl_error());
  absl::StatusOr<Cert> ca = cert_make(ca_key.get(), "ascent run CA", nullptr, ca_key.get(),
                                      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                       {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();
  std::vector<std::string> sans;
  for (const std::string& h : hosts) sans.push_back(absl::StrCat(is_ip(h) ? "IP:" : "DNS:", h));
  absl::StatusOr<Cert> server = cert_make(server_key.get(), kRunCaServerName, ca->get(), ca_key.get(),
                                          {{NID_basic_constraints, "critical,CA:FALSE"},
                                           {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                           {NID_ext_key_usage, "serverAuth"},
                                           {NID_authority_key_identifier, "keyid:always"},
                                           {NID_subject_alt_name, absl::StrJoin(sans, ",")}});
  if (!server.ok()) return server.status();

  auto key_writer = [](EVP_PKEY* k) {
    return [k](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr); };
  };
  auto cert_writer = [](X509* c) { return [c](BIO* b) { return PEM_write_bio_X509(b, c); }; };
  // The CA's key signs once and is not kept (nobody can sign another learner's certificate with it). The
  // server's files go first and the CA last: a set cut short by a crash fails covers() and is made again.
  ASCENT_RETURN_IF_ERROR(pem_write(f.key, key_writer(server_key.get()), true));
  ASCENT_RETURN_IF_ERROR(pem_write(f.cert, cert_writer(server->get()), false));
  ASCENT_RETURN_IF_ERROR(pem_write(f.ca, cert_writer(ca->get()), false));
  return f;
}

}  // namespace ascent
