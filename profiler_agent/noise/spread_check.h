#pragma once
// Whether one configuration's timings are steady enough to keep: the spread of its repeated runs
// against two limits. Pure, so it is tested on given statistics.
//
// The defaults come from two quick CPU sweeps on this project's 2-core VM, one quiet and one
// beside two busy loops (docs/measurement-noise.md has both runs' figures).

#include <string>

#include "convlat/v1/types.pb.h"

namespace convlat::agent {

struct SpreadLimits {
  // p90 / p10: the width of the bulk of the runs. Interference that comes and goes (another
  // process taking the core for part of the timing) widens it.
  double max_p90_over_p10 = 3.0;
  // median / min: how far the typical run is from the best one. Interference that lasts the whole
  // timing shifts the median while a lucky run keeps the minimum.
  double max_median_over_min = 2.0;
};

struct SpreadVerdict {
  bool stable = true;
  double p90_over_p10 = 1;
  double median_over_min = 1;
  // The larger of the two ratios, each divided by its limit: above 1 is unstable, and among
  // attempts at one configuration the lowest score is the steadiest.
  double score = 0;
  // Which limit was exceeded and by how much, e.g. "median/min 12.4 > 2"; empty when stable.
  std::string reason;
};

// Statistics without a positive min and p10 (no runs, a clock that read 0) cannot be judged and
// are taken as stable: there is nothing to compare.
SpreadVerdict CheckSpread(const v1::LatencyStats& latency, const SpreadLimits& limits);

}  // namespace convlat::agent
