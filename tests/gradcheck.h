// Central finite differences for the op and model gradient checks.
// For a scalar loss f(x) (evaluated in double from float32 outputs) and an analytic gradient g, checks a set
// of coordinates i with central differences D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h,
// Richardson-extrapolated: fd_i = (4 D(h/2) - D(h)) / 3, which cancels the O(h^2) truncation term (it matters
// where a small input feeds an RMSNorm: h = 1e-2 on values ~0.2). Agreement is judged per tensor by max_i
// |fd_i - g_i| <= tol * max(max_i |g_i|, floor): float32 forward passes carry ~1e-7 relative rounding, which
// h = 1e-2 turns into ~1e-5 absolute noise on fd.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"

namespace ascent {

struct GradcheckResult {
  double max_err = 0, max_grad = 0;
  int checked = 0;
};

// Coordinates to probe: the k largest |g| plus k random ones (the largest are where a wrong factor shows
// most).
inline std::vector<int64_t> gradcheck_pick(const float* g, int64_t n, int k, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[i] = i;
  const int64_t top = std::min<int64_t>(k, n);
  std::partial_sort(idx.begin(), idx.begin() + top, idx.end(),
                    [&](int64_t a, int64_t b) { return std::fabs(g[a]) > std::fabs(g[b]); });
  std::vector<int64_t> out(idx.begin(), idx.begin() + top);
  Rng rng(seed);
  for (int i = 0; i < k && n > 0; ++i) out.push_back(static_cast<int64_t>(rng.next_u64() % n));
  return out;
}

inline GradcheckResult gradcheck(float* x, const float* g, int64_t n, const std::function<double()>& f,
                                 float h, int k, uint64_t seed) {
  GradcheckResult r;
  for (int64_t i = 0; i < n; ++i) r.max_grad = std::max(r.max_grad, static_cast<double>(std::fabs(g[i])));
  for (int64_t i : gradcheck_pick(g, n, k, seed)) {
    const float x0 = x[i];
    auto central = [&](float step) {
      x[i] = x0 + step;
      const double fp = f();
      x[i] = x0 - step;
      const double fm = f();
      x[i] = x0;
      // The step actually taken in float32, not the nominal one.
      return (fp - fm) / (static_cast<double>(x0 + step) - static_cast<double>(x0 - step));
    };
    const double fd = (4.0 * central(h / 2) - central(h)) / 3.0;
    r.max_err = std::max(r.max_err, std::fabs(fd - g[i]));
    ++r.checked;
  }
  return r;
}

inline std::vector<float> random_vec(int64_t n, uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<float>(rng.next_normal()) * scale;
  return v;
}

// sum_i a_i * b_i in double
inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace ascent
