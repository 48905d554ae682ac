// Running requests through the continuous batcher in tests (test_continuous_batcher, test_tool_turns).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "generation/continuous_batcher.h"

namespace ascent {

// Finished sequences by (request id, index).
using BatcherDone = std::map<std::pair<int64_t, int64_t>, GenSequence>;

// Runs `reqs` through a batcher of `slots` x `max_len`, submitting request k before step `arrive[k]`, until
// it is idle after the last arrival (at most `max_steps` steps).
inline BatcherDone batcher_run(Model& m, const std::vector<GenRequest>& reqs, const std::vector<int>& arrive,
                               int64_t slots, int64_t max_len, int max_steps) {
  ContinuousBatcher cb(m, slots, max_len);
  BatcherDone out;
  for (int stepno = 0; stepno < max_steps; ++stepno) {
    for (size_t k = 0; k < reqs.size(); ++k) {
      if (arrive[k] == stepno) {
        EXPECT_TRUE(cb.submit(reqs[k]).ok());
      }
    }
    absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
    EXPECT_TRUE(fin.ok()) << fin.status();
    for (GenSequence& s : *fin) out[{s.request_id, s.index}] = std::move(s);
    if (cb.idle() && stepno > *std::max_element(arrive.begin(), arrive.end())) break;
  }
  return out;
}

}  // namespace ascent
