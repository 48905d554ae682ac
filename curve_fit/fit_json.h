// The JSON that `ascent fit --json FILE` writes (schema in docs/curve_fit.md): per run, each parameter as
// {"value", "lo", "hi"} under "fit" and "prediction": {"C", "value", "lo", "hi"}; with one run these are also
// at the top level.
#pragma once

#include <vector>

#include "curve_fit/run_fit.h"
#include "nlohmann/json.hpp"

namespace ascent {

nlohmann::json fit_json(const std::vector<RunFit>& runs, const std::vector<Comparison>& comparisons,
                        const FitContext& ctx);

}  // namespace ascent
