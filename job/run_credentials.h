// What the parts of a run present to each other (docs/security.md): the credentials an actor uses, and when
// the learner's ports use TLS. The learner's side is learner/learner.cc (Learner::server_security).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "job/recipe.h"
#include "transport/auth.h"

namespace ascent {

// TLS when the recipe names certificate files or the learner binds beyond loopback; for an actor, also when the
// learner it dials is beyond loopback (a learner reachable there listens there: ascent launch's --bind).
bool run_uses_tls(const RunConfig& c, const std::string& learner_address = "");

// The actor `name`'s credentials: its token from ASCENT_TOKEN (what `ascent train` gives each actor), else
// derived from the run secret (ASCENT_RUN_SECRET, or <run dir>/secret on this host or a shared file system);
// with TLS, the CA file of run.tls.ca or <run dir>/tls/ca.pem. `tls_ca` (a command-line file) wins.
// NotFound saying where it looked when there is no token.
absl::StatusOr<ClientCredentials> actor_credentials(const Recipe& r, const std::string& name,
                                                    const std::string& learner_address,
                                                    const std::string& tls_ca = "");

}  // namespace ascent
