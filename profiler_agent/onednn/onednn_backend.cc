#include "profiler_agent/onednn/onednn_backend.h"

#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/onednn/cache_scrubber.h"
#include "profiler_agent/onednn/eviction_check.h"
#include "profiler_agent/onednn/last_level_cache.h"
#include "profiler_agent/onednn/onednn_conv.h"
#include "profiler_agent/onednn/onednn_ops.h"
#include "profiler_agent/onednn/onednn_primitive.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// First "key : value" line of a /proc file whose key starts with `key`.
std::string ProcField(const char* file, absl::string_view key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, key)) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

class OneDnnBackend final : public ConvBackend {
 public:
  OneDnnBackend(const LastLevelCache& cache, size_t scrubber_bytes)
      : last_level_cache_bytes_(cache.bytes),
        engine_(dnnl::engine::kind::cpu, 0),
        stream_(engine_),
        scrubber_(scrubber_bytes) {}

  std::string name() const override { return "onednn"; }

  absl::StatusOr<v1::Platform> DescribePlatform() override {
    v1::Platform platform;
    platform.set_kind(v1::PLATFORM_KIND_CPU);
    platform.set_device_name(ProcField("/proc/cpuinfo", "model name"));
    if (platform.device_name().empty()) platform.set_device_name("unknown CPU");
    const int threads = static_cast<int>(std::thread::hardware_concurrency());
    platform.set_compute_units(threads);
    platform.set_threads(threads);
    double mhz = 0;
    if (absl::SimpleAtod(ProcField("/proc/cpuinfo", "cpu MHz"), &mhz)) platform.set_core_clock_mhz(mhz);
    int64_t memory_kb = 0;
    std::string total = ProcField("/proc/meminfo", "MemTotal");
    if (absl::SimpleAtoi(absl::StripSuffix(total, " kB"), &memory_kb)) platform.set_memory_bytes(memory_kb * 1024);
    platform.set_last_level_cache_bytes(last_level_cache_bytes_);
    platform.set_compute_capability(IsaName(dnnl::get_effective_cpu_isa()));
    platform.set_library("onednn");
    const dnnl_version_t* version = dnnl_version();
    platform.set_library_version(absl::StrCat(version->major, ".", version->minor, ".", version->patch));
    return platform;
  }

  std::vector<v1::Measurement> Measure(const v1::ConvParams& params, const TimingOptions& timing) override {
    v1::Measurement measurement;
    *measurement.mutable_params() = params;
    Time([&] { return PrepareOneDnnConv(params, engine_); }, timing, measurement);
    return {std::move(measurement)};
  }

  v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions& timing) override {
    v1::Measurement measurement;
    *measurement.mutable_op() = op;
    Time([&] { return PrepareOneDnnOp(op, engine_); }, timing, measurement);
    return measurement;
  }

 private:
  // Prepares the primitive and times it into the measurement; what the library cannot run makes
  // a failed measurement with the reason.
  template <typename Prepare>
  void Time(Prepare prepare, const TimingOptions& timing, v1::Measurement& measurement) {
    measurement.set_backend(name());
    *measurement.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    try {
      absl::StatusOr<PreparedPrimitive> prepared = prepare();
      if (prepared.ok()) {
        TimePrimitive(*prepared, stream_, timing, scrubber_, measurement);
      } else {
        Fail(measurement, std::string(prepared.status().message()));
      }
    } catch (const dnnl::error& e) {
      Fail(measurement, absl::StrCat("oneDNN: ", e.what()));
    } catch (const std::bad_alloc&) {
      Fail(measurement, "out of memory");
    }
  }

  static void Fail(v1::Measurement& measurement, const std::string& reason) {
    measurement.set_failed(true);
    measurement.set_failure_reason(reason);
    measurement.clear_latency();
    measurement.clear_hot_latency();
  }

  const int64_t last_level_cache_bytes_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  CacheScrubber scrubber_;
};

}  // namespace

std::unique_ptr<ConvBackend> MakeOneDnnBackend(int64_t last_level_cache_bytes, int64_t scrubber_bytes) {
  const LastLevelCache cache = ChooseLastLevelCache(last_level_cache_bytes);
  if (std::optional<std::string> warning = LastLevelCacheWarning(cache)) spdlog::warn("{}", *warning);
  const ScrubberChoice scrubber = ChooseScrubberBytes(scrubber_bytes > 0 ? static_cast<size_t>(scrubber_bytes)
                                                                         : CacheScrubber::BytesFor(cache.bytes));
  if (scrubber.warning) spdlog::warn("{}", *scrubber.warning);
  spdlog::debug("the cache scrubber reads {} MiB before each evicted run", scrubber.bytes >> 20);
  return std::make_unique<OneDnnBackend>(cache, scrubber.bytes);
}

}  // namespace convlat::agent
