#include "profiler_agent/onednn_backend.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "model/conv_shape.h"
#include "model/conv_spec.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/timing_stats.h"

namespace convlat::agent {
namespace {

using dnnl::memory;

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

// Random non-zero values: zeros would let some kernels (and denormal-free paths) run faster than
// real activations do.
void FillRandom(memory& mem, v1::DataType dtype, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(0.1f, 1.0f);
  const size_t bytes = mem.get_desc().get_size();
  void* data = mem.get_data_handle();
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

class OneDnnBackend final : public ConvBackend {
 public:
  OneDnnBackend() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

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
    platform.set_compute_capability(IsaName(dnnl::get_effective_cpu_isa()));
    platform.set_library("onednn");
    const dnnl_version_t* version = dnnl_version();
    platform.set_library_version(absl::StrCat(version->major, ".", version->minor, ".", version->patch));
    return platform;
  }

  std::vector<v1::Measurement> Measure(const v1::ConvParams& params, const TimingOptions& timing) override {
    v1::Measurement measurement;
    *measurement.mutable_params() = params;
    measurement.set_backend(name());
    *measurement.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    try {
      Run(model::ResolveConvShape(params), timing, measurement);
    } catch (const dnnl::error& e) {
      Fail(measurement, absl::StrCat("oneDNN: ", e.what()));
    } catch (const std::bad_alloc&) {
      Fail(measurement, "out of memory");
    }
    return {std::move(measurement)};
  }

 private:
  static void Fail(v1::Measurement& measurement, const std::string& reason) {
    measurement.set_failed(true);
    measurement.set_failure_reason(reason);
    measurement.clear_latency();
  }

  void Run(const model::ConvShape& shape, const TimingOptions& timing, v1::Measurement& measurement) {
    memory::data_type type;
    switch (shape.dtype) {
      case v1::DATA_TYPE_FP32: type = memory::data_type::f32; break;
      case v1::DATA_TYPE_BF16: type = memory::data_type::bf16; break;
      default:
        Fail(measurement, absl::StrCat("dtype ", model::DataTypeName(shape.dtype), " is not supported by the cpu backend"));
        return;
    }
    const auto activation_tag = shape.layout == v1::LAYOUT_NHWC ? memory::format_tag::nhwc : memory::format_tag::nchw;
    const memory::dims src_dims = {shape.n, shape.c, shape.h, shape.w};
    const memory::dims dst_dims = {shape.n, shape.k, shape.p(), shape.q()};
    const memory::dims weight_dims =
        shape.groups == 1 ? memory::dims{shape.k, shape.c, shape.r, shape.s}
                          : memory::dims{shape.groups, shape.k / shape.groups, shape.c / shape.groups, shape.r, shape.s};
    // Activations in the framework's layout; weights in whatever layout oneDNN prefers, as
    // frameworks reorder weights once ahead of inference.
    const memory::desc src_md(src_dims, type, activation_tag);
    const memory::desc weight_md(weight_dims, type, memory::format_tag::any);
    const memory::desc dst_md(dst_dims, type, activation_tag);
    // oneDNN counts dilation from 0 (0 = dense kernel).
    const dnnl::convolution_forward::desc conv_desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, weight_md, dst_md,
        {shape.stride_h, shape.stride_w}, {shape.dilation_h - 1, shape.dilation_w - 1}, {shape.pad_h, shape.pad_w},
        {shape.pad_h, shape.pad_w});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::convolution_forward::primitive_desc pd(conv_desc, attr, engine_);

    memory src(pd.src_desc(), engine_), weights(pd.weights_desc(), engine_), dst(pd.dst_desc(), engine_);
    memory scratchpad(pd.scratchpad_desc(), engine_);
    std::mt19937 rng(42);
    FillRandom(src, shape.dtype, rng);
    FillRandom(weights, shape.dtype, rng);
    const dnnl::convolution_forward conv(pd);
    const std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratchpad}};

    for (int i = 0; i < timing.warmup_runs; ++i) conv.execute(stream_, args);
    stream_.wait();
    // Each repetition on warm caches, as a framework runs a layer again and again.
    std::vector<double> samples_us;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (static_cast<int>(samples_us.size()) < timing.max_repetitions && elapsed < timing.max_seconds &&
           (static_cast<int>(samples_us.size()) < timing.min_repetitions || elapsed < timing.min_seconds)) {
      const auto before = std::chrono::steady_clock::now();
      conv.execute(stream_, args);
      stream_.wait();
      const auto after = std::chrono::steady_clock::now();
      samples_us.push_back(std::chrono::duration<double, std::micro>(after - before).count());
      elapsed = std::chrono::duration<double>(after - start).count();
    }
    *measurement.mutable_latency() = SummarizeTimings(std::move(samples_us));
    measurement.set_algorithm(pd.impl_info_str());
    measurement.set_workspace_bytes(static_cast<int64_t>(pd.scratchpad_desc().get_size()));
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
};

}  // namespace

std::unique_ptr<ConvBackend> MakeOneDnnBackend() { return std::make_unique<OneDnnBackend>(); }

}  // namespace convlat::agent
