#include "job/run_credentials.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/run_secret.h"
#include "learner/learner_config.h"
#include "transport/tls.h"

namespace ascent {

bool run_uses_tls(const RunConfig& c, const std::string& learner_address) {
  return !c.tls_cert.empty() || !address_is_loopback(c.bind) ||
         (!learner_address.empty() && !address_is_loopback(address_host(learner_address)));
}

absl::StatusOr<ClientCredentials> actor_credentials(const Recipe& r, const std::string& name,
                                                    const std::string& learner_address,
                                                    const std::string& tls_ca) {
  ClientCredentials c;
  c.name = name;
  if (const char* t = std::getenv(kActorTokenEnv); t != nullptr && *t != '\0') {
    c.token = t;
  } else {
    absl::StatusOr<std::string> secret = run_secret_get(learner_run_dir(r), /*create=*/false);
    if (!secret.ok()) {
      return absl::Status(secret.status().code(),
                          absl::StrCat("actor ", name, ": no token (", kActorTokenEnv, " is not set) and ",
                                       secret.status().message()));
    }
    c.token = actor_token(*secret, name);
  }
  if (!tls_ca.empty()) {
    c.tls_ca = tls_ca;
    if (r.run.tls_ca.empty()) c.tls_server_name = kRunCaServerName;
  } else if (!r.run.tls_ca.empty()) {
    c.tls_ca = r.run.tls_ca;  // the user's certificate names the learner's host
  } else if (run_uses_tls(r.run, learner_address)) {
    c.tls_ca = (std::filesystem::path(learner_run_dir(r)) / "tls" / "ca.pem").string();
    c.tls_server_name = kRunCaServerName;
  }
  return c;
}

}  // namespace ascent
