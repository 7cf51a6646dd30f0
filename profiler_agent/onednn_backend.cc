#include "profiler_agent/onednn_backend.h"

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
#include "profiler_agent/onednn_ops.h"
#include "profiler_agent/onednn_primitive.h"

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

  v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions& timing) override {
    v1::Measurement measurement;
    *measurement.mutable_op() = op;
    measurement.set_backend(name());
    *measurement.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    try {
      absl::StatusOr<PreparedPrimitive> prepared = PrepareOneDnnOp(op, engine_);
      if (prepared.ok()) {
        TimePrimitive(*prepared, stream_, timing, measurement);
      } else {
        Fail(measurement, std::string(prepared.status().message()));
      }
    } catch (const dnnl::error& e) {
      Fail(measurement, absl::StrCat("oneDNN: ", e.what()));
    } catch (const std::bad_alloc&) {
      Fail(measurement, "out of memory");
    }
    return measurement;
  }

 private:
  static void Fail(v1::Measurement& measurement, const std::string& reason) {
    measurement.set_failed(true);
    measurement.set_failure_reason(reason);
    measurement.clear_latency();
  }

  void Run(const model::ConvShape& shape, const TimingOptions& timing, v1::Measurement& measurement) {
    const std::optional<memory::data_type> data_type = OneDnnDataType(shape.dtype);
    if (!data_type) {
      Fail(measurement, absl::StrCat("dtype ", model::DataTypeName(shape.dtype), " is not supported by the cpu backend"));
      return;
    }
    const memory::data_type type = *data_type;
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
    const PreparedPrimitive prepared{
        dnnl::convolution_forward(pd),
        {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratchpad}},
        pd.impl_info_str(),
        static_cast<int64_t>(pd.scratchpad_desc().get_size())};
    TimePrimitive(prepared, stream_, timing, measurement);
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
};

}  // namespace

std::unique_ptr<ConvBackend> MakeOneDnnBackend() { return std::make_unique<OneDnnBackend>(); }

}  // namespace convlat::agent
