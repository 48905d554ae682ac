// The plot of `ascent fit --plot FILE.svg`: for each run its points (hollow: left out by c_min), the fitted
// sigmoid (solid over the data, dashed beyond it: extrapolation), the bootstrap band of the curve, the
// asymptote A (dotted) and the prediction with its interval. plot_html wraps the same SVG in a
// self-contained page with the fit table and the verdicts (no script, no external resource).
#pragma once

#include <string>
#include <vector>

#include "curve_fit/run_fit.h"

namespace ascent {

std::string plot_svg(const std::vector<RunFit>& runs, const FitContext& ctx);
std::string plot_html(const std::string& svg, const std::vector<RunFit>& runs,
                      const std::vector<Comparison>& comparisons, const FitContext& ctx);

}  // namespace ascent
