#include "core/run_secret.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/file_write.h"

namespace ascent {
namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) out[2 * i] = kDigits[p[i] >> 4], out[2 * i + 1] = kDigits[p[i] & 15];
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

absl::StatusOr<std::string> secret_file_read(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": the run secret is readable by group or others (mode 0", (st.st_mode >> 6) & 7,
                     (st.st_mode >> 3) & 7, st.st_mode & 7, "); chmod 600 it"));
  }
  std::ifstream in(path);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot read the run secret"));
  std::stringstream text;
  text << in.rdbuf();
  std::string s = trim(text.str());
  if (absl::Status c = run_secret_check(s, path); !c.ok()) return c;
  return s;
}

// link(2) is atomic: two parts of one run that start together agree on one secret (each reads what the file
// holds after its link, the winner's). The temporary's name is random: pids repeat across containers that
// share a volume.
absl::StatusOr<std::string> secret_file_create(const std::string& path) {
  absl::StatusOr<std::string> s = run_secret_make();
  if (!s.ok()) return s;
  const std::string tmp = path + ".tmp" + s->substr(0, 16);
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  const std::string line = *s + "\n";
  const bool written =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!written) {
    unlink(tmp.c_str());
    return absl::DataLossError(absl::StrCat(tmp, ": cannot write the run secret: ", std::strerror(errno)));
  }
  // link(2) fails with EEXIST when another part made the file first: then its secret is the run's.
  const int linked = link(tmp.c_str(), path.c_str());
  const int err = errno;
  unlink(tmp.c_str());
  if (linked != 0 && err != EEXIST)
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(err)));
  if (linked == 0) (void)dir_fsync(std::filesystem::path(path).parent_path().string());
  return secret_file_read(path);
}

}  // namespace

absl::StatusOr<std::string> run_secret_make() {
  unsigned char b[kRunSecretHexChars / 2];
  if (RAND_bytes(b, sizeof b) != 1)
    return absl::InternalError("no randomness for the run secret (RAND_bytes)");
  return hex(b, sizeof b);
}

absl::Status run_secret_check(std::string_view secret, std::string_view where) {
  bool ok = secret.size() == kRunSecretHexChars;
  for (char c : secret) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": a run secret is ",
                                                 static_cast<uint64_t>(kRunSecretHexChars),
                                                 " lowercase hex characters (ascent makes one: "
                                                 "see docs/security.md), got ",
                                                 static_cast<uint64_t>(secret.size()), " characters"));
}

absl::StatusOr<std::string> run_secret_get(const std::string& run_dir, bool create, bool from_env) {
  if (const char* env = std::getenv(kRunSecretEnv); from_env && env != nullptr && *env != '\0') {
    std::string s = trim(env);
    if (absl::Status c = run_secret_check(s, kRunSecretEnv); !c.ok()) return c;
    return s;
  }
  const std::string path = (std::filesystem::path(run_dir) / "secret").string();
  absl::StatusOr<std::string> s = secret_file_read(path);
  if (s.ok() || s.status().code() != absl::StatusCode::kNotFound || !create) {
    if (!s.ok() && s.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(
          "no run secret: ", kRunSecretEnv, " is not set and ", path,
          " does not exist (the learner or ascent launch makes it; ascent train passes the secret in ",
          kRunSecretEnv, " instead)"));
    }
    return s;
  }
  return secret_file_create(path);
}

std::string token_derive(std::string_view secret, std::string_view purpose) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), mac, &n);
  return hex(mac, n);
}

bool token_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ascent
