// Wall-clock intervals in seconds on the steady clock, for timings and timeouts (never for ordering events
// across processes).
#pragma once

#include <chrono>

namespace ascent {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

inline double seconds_since(SteadyClock::time_point t) {
  return seconds_between(t, SteadyClock::now());
}

}  // namespace ascent
