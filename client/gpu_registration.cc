#include "client/gpu_registration.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/command_output.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "model/datasets/gpu_specs.h"
#include "model/latency/spec_roofline.h"

namespace convlat::client {
namespace {

absl::Status Negative(absl::string_view flag, double value) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " must be > 0, got ", value));
}

}  // namespace

absl::StatusOr<v1::Platform> SpecOnlyGpuPlatform(const GpuDescription& d) {
  if (d.platform.empty()) return absl::InvalidArgumentError("the platform name is required (register-gpu NAME)");
  if (d.device.empty()) {
    return absl::InvalidArgumentError("--device is required: the GPU's name, e.g. --device='NVIDIA H100 PCIe'");
  }
  if (d.sms < 0) return Negative("--sms", d.sms);
  if (d.clock_mhz < 0) return Negative("--clock_mhz", d.clock_mhz);
  if (d.bandwidth_gbps < 0) return Negative("--bandwidth_gbps", d.bandwidth_gbps);
  if (d.memory_gb < 0) return Negative("--memory_gb", d.memory_gb);
  if (d.l2_mb < 0) return Negative("--l2_mb", d.l2_mb);
  v1::Platform platform;
  platform.set_name(d.platform);
  platform.set_kind(v1::PLATFORM_KIND_GPU);
  platform.set_device_name(d.device);
  platform.set_spec_only(true);
  // What its predictions will be compared with once it is measured: cuDNN through PyTorch, as an
  // agent on it records (a Justus-like TensorFlow platform comes only from an import).
  platform.set_library("cudnn");
  platform.set_compute_units(d.sms);
  platform.set_core_clock_mhz(d.clock_mhz);
  platform.set_memory_bandwidth_gbps(d.bandwidth_gbps);
  platform.set_compute_capability(d.compute_capability);
  platform.set_memory_bytes(std::llround(d.memory_gb * (1 << 30)));
  platform.set_l2_cache_bytes(std::llround(d.l2_mb * (1 << 20)));
  model::FillFromGpuSpecTable(platform);  // only what the flags left unset

  const bool in_table = model::FindGpuSpec(d.device) != nullptr;
  auto missing = [&](absl::string_view flag) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " is required: '", d.device,
                     "' is not in convlat's GPU table (model/datasets/gpu_specs.cc), so give its --sms, --clock_mhz, "
                     "--bandwidth_gbps and --compute_capability from its data sheet"));
  };
  if (platform.compute_units() <= 0) return missing("--sms");
  if (platform.core_clock_mhz() <= 0) return missing("--clock_mhz");
  if (platform.memory_bandwidth_gbps() <= 0) return missing("--bandwidth_gbps");
  if (platform.compute_capability().empty()) return missing("--compute_capability");
  if (model::NvidiaFp32LanesPerSm(platform.compute_capability()) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--compute_capability '", platform.compute_capability(),
        "' is not an NVIDIA compute capability convlat knows the FP32 width of (MAJOR.MINOR, 3.x to 12.x, e.g. 8.6)",
        d.compute_capability.empty() && in_table ? " (from the GPU table)" : ""));
  }
  return platform;
}

int RegisterGpuCommand(const CommandContext& context, const GpuDescription& description) {
  absl::StatusOr<v1::Platform> platform = SpecOnlyGpuPlatform(description);
  if (!platform.ok()) {
    *context.err << "error: " << platform.status().message() << "\n";
    return kExitUsage;
  }
  v1::RegisterPlatformRequest request;
  *request.mutable_platform() = *platform;
  request.set_agent_id("convlat-client register-gpu");
  v1::RegisterPlatformResponse response;
  grpc::Status status = v1::ProfilerService::NewStub(context.channel)
                            ->RegisterPlatform(NewCallContext(context).get(), request, &response);
  if (!status.ok()) return ReportRpcError(context, status);
  if (context.format == OutputFormat::kJson) return PrintJson(context, response);
  const v1::Platform& stored = response.platform();
  TextTable table({"platform", "device", "sms", "clock_mhz", "bandwidth_gbps", "compute_capability", "peak_fp32_tflops",
                   "l2_mb", "registered"});
  table.AddRow({stored.name(), stored.device_name(), absl::StrCat(stored.compute_units()),
                absl::StrFormat("%g", stored.core_clock_mhz()), absl::StrFormat("%g", stored.memory_bandwidth_gbps()),
                stored.compute_capability(),
                absl::StrFormat("%.1f", model::NvidiaPeakFp32Gflops(stored.compute_units(), stored.core_clock_mhz(),
                                                                    stored.compute_capability()) /
                                            1e3),
                absl::StrFormat("%g", static_cast<double>(stored.l2_cache_bytes()) / (1 << 20)),
                response.created() ? "new" : "updated"});
  PrintTable(context, table);
  if (context.format == OutputFormat::kTable) {
    *context.out << "\n'" << stored.name()
                 << "' is predicted from this spec, transferred from the GPUs the server has measurements of, "
                    "until an agent on it pushes its own layers:\n  convlat-client query NET.onnx --platform "
                 << stored.name() << "\n";
  }
  return kExitOk;
}

}  // namespace convlat::client
