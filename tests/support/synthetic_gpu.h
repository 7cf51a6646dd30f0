#pragma once
// A GPU spec made up for the transfer's unit tests on planted (synthetic) latencies: the figures a
// test needs to tell GPUs apart, a 4 MiB L2, Volta-width SMs unless `lanes` says otherwise.
#include <string>

#include "model/transfer/transfer_spec.h"

namespace convlat::model {

inline TransferSpec SyntheticGpu(const std::string& name, int sms, double peak_gflops, double bandwidth_gbps,
                                 int lanes = 64, bool tensorflow = false) {
  return TransferSpec{.name = name,
                      .sms = sms,
                      .peak_gflops = peak_gflops,
                      .bandwidth_gbps = bandwidth_gbps,
                      .l2_cache_bytes = 4 << 20,
                      .fp32_lanes_per_sm = lanes,
                      .tensorflow_runtime = tensorflow};
}

}  // namespace convlat::model
