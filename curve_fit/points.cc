#include "curve_fit/points.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ascent {

absl::Status points_check(const Points& pts, double c_min, int min_points) {
  if (!pts.N.empty() && pts.N.size() != pts.R.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(pts.N.size(), " sample counts but ", pts.R.size(), " rewards"));
  }
  if (pts.C.size() != pts.R.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(pts.C.size(), " compute values but ", pts.R.size(), " rewards"));
  }
  int used = 0;
  for (size_t i = 0; i < pts.C.size(); ++i) {
    if (!std::isfinite(pts.C[i]) || !std::isfinite(pts.R[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("point ", i + 1, " is not finite (C = ", pts.C[i], ", R = ", pts.R[i], ")"));
    }
    if (pts.C[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat("point ", i + 1, " has negative compute ", pts.C[i]));
    }
    if (!pts.N.empty() && !(std::isfinite(pts.N[i]) && pts.N[i] >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("point ", i + 1, " has a sample count of ", pts.N[i],
                                                     " (a count >= 0, or 0 if unknown)"));
    }
    used += pts.C[i] > 0 && pts.C[i] >= c_min;
  }
  if (used < min_points) {
    return absl::InvalidArgumentError(absl::StrCat(
        "only ", used, " point", used == 1 ? "" : "s", " with compute > 0 and >= c_min = ", c_min,
        "; the fit has ", min_points, " free parameters and needs at least that many"));
  }
  return absl::OkStatus();
}

Points points_used(const Points& pts, double c_min) {
  Points u;
  for (size_t i = 0; i < pts.C.size(); ++i) {
    if (!(pts.C[i] > 0 && pts.C[i] >= c_min)) continue;
    u.C.push_back(pts.C[i]), u.R.push_back(pts.R[i]);
    if (pts.N.size() == pts.R.size()) u.N.push_back(pts.N[i]);
  }
  return u;
}

double points_start(const Points& pts) {
  if (pts.C.empty()) return 0.0;
  const double cmin = *std::min_element(pts.C.begin(), pts.C.end());
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < pts.C.size(); ++i) {
    if (pts.C[i] == cmin) sum += pts.R[i], ++n;
  }
  return sum / n;
}

Points points_pool(const std::vector<Points>& runs) {
  Points p;
  for (const Points& r : runs) {
    p.C.insert(p.C.end(), r.C.begin(), r.C.end());
    p.R.insert(p.R.end(), r.R.begin(), r.R.end());
  }
  // Sample counts only when every run has them.
  for (const Points& r : runs) {
    if (r.N.size() != r.R.size()) return p;
  }
  for (const Points& r : runs) p.N.insert(p.N.end(), r.N.begin(), r.N.end());
  return p;
}

}  // namespace ascent
