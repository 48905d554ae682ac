// Per-run credentials (docs/security.md). The root is the run secret: 32 random bytes from OpenSSL's RAND_bytes,
// written as 64 lowercase hex characters. Every token is derived from it, HMAC-SHA256(secret, purpose) in hex
// (RFC 2104, OpenSSL's HMAC): purpose "actor/<name>" for the actor of that name, so the learner knows a
// caller's name from its token and one actor cannot take another's name. Tokens travel as gRPC metadata
// "authorization: Bearer <token>" (RFC 6750) with the claimed name in "x-ascent-actor".
//
// Where the secret comes from: ASCENT_RUN_SECRET (a scheduler's secret mechanism: a Kubernetes Secret, a
// file the batch script exports), else <run dir>/secret, created with mode 0600 by the first part of the run
// that needs it and refused when group or others may read it. `ascent train` passes the learner the secret
// and each actor only its own token (ASCENT_TOKEN).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ascent {

inline constexpr char kRunSecretEnv[] = "ASCENT_RUN_SECRET";
inline constexpr char kActorTokenEnv[] = "ASCENT_TOKEN";
inline constexpr size_t kRunSecretHexChars = 64;

// A new secret: 64 hex characters. Internal when the system has no randomness to give.
absl::StatusOr<std::string> run_secret_make();
// InvalidArgument unless `secret` is 64 hex characters; `where` names its source in the message.
absl::Status run_secret_check(std::string_view secret, std::string_view where);
// ASCENT_RUN_SECRET if set; else <run_dir>/secret (created, mode 0600, when `create` and absent). NotFound
// when neither exists and !create; PermissionDenied for a file that group or others can read.
// `from_env` false: the file only (ascent launch writes the secret where every node reads it).
absl::StatusOr<std::string> run_secret_get(const std::string& run_dir, bool create, bool from_env = true);

// HMAC-SHA256(secret, purpose) as 64 hex characters.
std::string token_derive(std::string_view secret, std::string_view purpose);
inline std::string actor_token(std::string_view secret, std::string_view name) {
  return token_derive(secret, std::string("actor/").append(name));
}
// Equality in time independent of where the strings differ (OpenSSL's CRYPTO_memcmp).
bool token_equal(std::string_view a, std::string_view b);

}  // namespace ascent
