// The math verifier (rewards/math_verify.h: answer extraction, LaTeX normalisation and parsing into GiNaC,
// comparison) on any completion and gold answer (the input split at its first NUL byte).
#include "fuzz/fuzz_input.h"
#include "rewards/math_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = ascent::fuzz::as_string(data, size);
  const size_t cut = in.find('\0');
  const std::string completion = in.substr(0, cut),
                    gold = cut == std::string::npos ? "1" : in.substr(cut + 1);
  (void)ascent::math_verify(completion, gold);
  return 0;
}
