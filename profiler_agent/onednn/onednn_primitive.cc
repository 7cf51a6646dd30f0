#include "profiler_agent/onednn/onednn_primitive.h"

#include <chrono>
#include <cstring>
#include <vector>

#include "profiler_agent/backend/timing_stats.h"

namespace convlat::agent {

std::optional<dnnl::memory::data_type> OneDnnDataType(v1::DataType dtype) {
  switch (dtype) {
    case v1::DATA_TYPE_UNSPECIFIED:
    case v1::DATA_TYPE_FP32: return dnnl::memory::data_type::f32;
    case v1::DATA_TYPE_BF16: return dnnl::memory::data_type::bf16;
    default: return std::nullopt;
  }
}

void FillRandom(dnnl::memory& memory, v1::DataType dtype, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(0.1f, 1.0f);
  const size_t bytes = memory.get_desc().get_size();
  void* data = memory.get_data_handle();
  if (dtype == v1::DATA_TYPE_BF16) {
    auto* out = static_cast<uint16_t*>(data);
    for (size_t i = 0; i < bytes / 2; ++i) {
      float f = value(rng);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      out[i] = static_cast<uint16_t>(bits >> 16);
    }
  } else {
    auto* out = static_cast<float*>(data);
    for (size_t i = 0; i < bytes / 4; ++i) out[i] = value(rng);
  }
}

namespace {

// Timed runs of the primitive until `timing`'s rules are met, `before_each` (untimed) ahead of
// each run.
template <typename BeforeEach>
v1::LatencyStats TimeRuns(const PreparedPrimitive& prepared, dnnl::stream& stream, const TimingOptions& timing,
                          BeforeEach before_each) {
  std::vector<double> samples_us;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (WantsAnotherRun(timing, static_cast<int>(samples_us.size()), elapsed)) {
    before_each();
    const auto before = std::chrono::steady_clock::now();
    prepared.primitive.execute(stream, prepared.args);
    stream.wait();
    const auto after = std::chrono::steady_clock::now();
    samples_us.push_back(std::chrono::duration<double, std::micro>(after - before).count());
    elapsed = std::chrono::duration<double>(after - start).count();
  }
  return SummarizeTimings(std::move(samples_us));
}

}  // namespace

void TimePrimitive(const PreparedPrimitive& prepared, dnnl::stream& stream, const TimingOptions& timing,
                   CacheScrubber& scrubber, v1::Measurement& measurement) {
  for (int i = 0; i < timing.warmup_runs; ++i) prepared.primitive.execute(stream, prepared.args);
  stream.wait();
  *measurement.mutable_latency() = TimeRuns(prepared, stream, timing, [&scrubber] { scrubber.Scrub(); });
  // The last evicted run brought the operands back into the caches: one untimed run settles them.
  const TimingOptions hot = HotTiming(timing);
  for (int i = 0; i < hot.warmup_runs; ++i) prepared.primitive.execute(stream, prepared.args);
  stream.wait();
  *measurement.mutable_hot_latency() = TimeRuns(prepared, stream, hot, [] {});
  measurement.set_algorithm(prepared.implementation);
  measurement.set_workspace_bytes(prepared.scratchpad_bytes);
}

}  // namespace convlat::agent
