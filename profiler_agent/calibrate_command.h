#pragma once
// convlat-agent calibrate --platform NAME NET.onnx [NET.onnx ...]: measures how much of its hot gain
// (evicted minus hot timing) a layer keeps inside a network on this CPU, and records it with the
// platform, per layout, so that the server's network predictions use this machine's figure
// (model/residency/hot_gain_calibration.h). For each network, in this order and within a minute,
// so that the machine's speed cannot drift between them: the network run by the oneDNN runner,
// every layer timed alone (evicted and hot, under the spread check), the network run again. The
// cache walk with the platform's last-level cache then says what each layer could find cached,
// and one factor is fitted to the networks' totals. The result goes through the spool (the
// platform's description, with the cache size it was calibrated with), so it reaches the server
// even when the server is away now.
//
// Prints one line per network (measured, every layer evicted, the walk's whole pull, fitted) and
// the factor; warns when the factor was clamped or the network's two runs disagree.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "convlat/v1/types.pb.h"
#include "profiler_agent/backend/repetition_rule.h"
#include "profiler_agent/delivery/delivery.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"
#include "profiler_agent/noise/checked_measurement.h"

namespace convlat::agent {

struct CalibrateCommandOptions {
  std::vector<std::string> onnx_paths;
  std::string platform;
  v1::Layout layout = v1::LAYOUT_UNSPECIFIED;  // unspecified: NCHW, as the runner and sweeps take it
  int runs = 20;                               // timed passes per network run
  // The last-level cache one core sees (--last_level_cache_bytes); 0: as the machine reports it.
  // Registered with the platform: the server's walk must use the size the factor was fitted with.
  int64_t last_level_cache_bytes = 0;
  // What the cache scrubber reads (--scrubber_bytes): the same as the sweep's, so that "evicted"
  // means here what it means in the platform's measurements; 0: twice the last-level cache.
  int64_t scrubber_bytes = 0;
  TimingOptions timing;
  NoiseCheckOptions noise;
  DeliveryOptions delivery;
  // Also write every layer here (--layers_out; empty: none), a CSV with its network, name, op,
  // spec, time in the network (mean of the two runs), evicted and hot alone and hot share: what
  // the totals are made of, to see which layers differ inside a network.
  std::string layers_out;
};

// The exit code: 0 when the factor was fitted and delivered; 2 for bad input (said on `err`); 1
// when the networks cannot run, nothing could be fitted, or the server did not take it (it stays
// in the spool, and `flush` delivers it).
int RunCalibrateCommand(const CalibrateCommandOptions& options, Spool& spool, Pusher& pusher, std::ostream& out,
                        std::ostream& err);

}  // namespace convlat::agent
