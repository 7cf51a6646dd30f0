#pragma once
// What the oneDNN backend does for every primitive it times, convolution or other op: fill the
// operands with data, time repeated executions, and describe the result.

#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "convlat/v1/types.pb.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/onednn/cache_scrubber.h"

namespace convlat::agent {

// A primitive ready to execute: its arguments allocated and filled.
struct PreparedPrimitive {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  std::string implementation;  // oneDNN's implementation name, e.g. "jit:avx2"
  int64_t scratchpad_bytes = 0;
};

// oneDNN's type for a convlat dtype: f32 and bf16 run on CPUs; nullopt for the others.
std::optional<dnnl::memory::data_type> OneDnnDataType(v1::DataType dtype);

// Random values in [0.1, 1): zeros would let some kernels (and denormal-free paths) run faster
// than real activations do.
void FillRandom(dnnl::memory& memory, v1::DataType dtype, std::mt19937& rng);

// Times the primitive both ways a layer can find the caches inside a network:
// - evicted (`latency`): warm-up runs, then timed repetitions until the timing rules are met, each
//   after the scrubber has evicted the caches (the scrubbing is not timed);
// - hot (`hot_latency`): then repetitions back to back under HotTiming(timing), each finding what
//   the one before it left in the caches (its weights, inputs and output, as far as they fit).
// Network predictions pick between the two per layer (model/residency/). The measurement also gets
// the implementation and scratchpad size.
void TimePrimitive(const PreparedPrimitive& prepared, dnnl::stream& stream, const TimingOptions& timing,
                   CacheScrubber& scrubber, v1::Measurement& measurement);

}  // namespace convlat::agent
