// The run credentials of in-process servers and clients in the tests (transport/auth.h, core/run_secret.h):
// one fixed secret, a server security over it, and any actor's credentials.
#pragma once

#include <string>

#include "core/run_secret.h"
#include "transport/auth.h"

namespace ascent {

inline constexpr char kTestSecret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct TestAuth {
  ServerAuth auth{kTestSecret};
  ServerSecurity security() {
    ServerSecurity s;
    s.auth = &auth;
    return s;
  }
};

inline ClientCredentials test_credentials(const std::string& name) {
  ClientCredentials c;
  c.name = name;
  c.token = actor_token(kTestSecret, name);
  return c;
}

}  // namespace ascent
