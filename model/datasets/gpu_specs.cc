#include "model/datasets/gpu_specs.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace convlat::model {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

// Vendor data sheets and whitepapers (boost clocks, peak DRAM bandwidth). Boards carrying two GPUs
// (K80, M60) are described per GPU, as CUDA shows them and as the measurements ran. Most specific
// names first: "H100 PCIe" must not match the SXM entry, "V100-PCIE" not the generic V100, "A100
// 80GB PCIe" not the 40 GB SXM4, "A10G" not the A10, "L40S" not the L40, "3090 Ti" not the 3090. The generic "V100" is
// the SXM2 16 GB board (what a device named just "Tesla V100" most often was, e.g. on AWS p3): the Justus data does not
// say which V100 it ran on.
constexpr GpuSpec kTable[] = {
    // name part         SMs  clock  mem clock  memory       GB/s   cc     L2
    {"H100 PCIe", 114, 1755, 1593, 80 * kGiB, 2039, "9.0", 50 * kMiB},
    {"H100", 132, 1980, 2619, 80 * kGiB, 3352, "9.0", 50 * kMiB},
    {"H200", 132, 1980, 3201, 141 * kGiB, 4800, "9.0", 60 * kMiB},
    {"A100 80GB PCIe", 108, 1410, 1512, 80 * kGiB, 1935, "8.0", 40 * kMiB},
    {"A100", 108, 1410, 1215, 40 * kGiB, 1555, "8.0", 40 * kMiB},
    {"V100-PCIE-32GB", 80, 1380, 877, 32 * kGiB, 900, "7.0", 6 * kMiB},
    {"V100", 80, 1530, 877, 16 * kGiB, 900, "7.0", 6 * kMiB},
    {"A30", 56, 1440, 1215, 24 * kGiB, 933, "8.0", 24 * kMiB},
    {"P100 SXM2", 56, 1480, 715, 16 * kGiB, 732, "6.0", 4 * kMiB},
    {"P100", 56, 1329, 715, 16 * kGiB, 732, "6.0", 4 * kMiB},  // PCIe 16 GB
    {"P40", 30, 1531, 0, 24 * kGiB, 346, "6.1", 3 * kMiB},
    {"T4", 40, 1590, 5001, 16 * kGiB, 320, "7.5", 4 * kMiB},
    {"L40S", 142, 2520, 0, 48 * kGiB, 864, "8.9", 96 * kMiB},
    {"L40", 142, 2490, 0, 48 * kGiB, 864, "8.9", 96 * kMiB},
    {"L4", 58, 2040, 6251, 24 * kGiB, 300, "8.9", 48 * kMiB},
    {"A10G", 80, 1710, 0, 24 * kGiB, 600, "8.6", 6 * kMiB},  // AWS g5: not the A10 (72 SMs)
    {"A10", 72, 1695, 6251, 24 * kGiB, 600, "8.6", 6 * kMiB},
    {"4090", 128, 2520, 0, 24 * kGiB, 1008, "8.9", 72 * kMiB},
    {"3090 Ti", 84, 1860, 0, 24 * kGiB, 1008, "8.6", 6 * kMiB},
    {"3090", 82, 1695, 0, 24 * kGiB, 936, "8.6", 6 * kMiB},
    {"2080 Ti", 68, 1545, 0, 11 * kGiB, 616, "7.5", 5632 * kKiB},
    {"1080 Ti", 28, 1582, 5505, 11 * kGiB, 484, "6.1", 2816 * kKiB},
    {"K40", 15, 875, 3004, 12 * kGiB, 288, "3.5", 1536 * kKiB},
    {"K80", 13, 875, 2505, 12 * kGiB, 240, "3.7", 1536 * kKiB},  // one GK210 of the two
    {"M60", 16, 1178, 2505, 8 * kGiB, 160, "5.2", 2 * kMiB},     // one GM204 of the two
    {"Jetson Nano", 1, 921.6, 1600, 4 * kGiB, 25.6, "5.3", 256 * kKiB},
};

// Lower case, with the separators device names and file names use read as spaces.
std::string Normalized(absl::string_view name) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", " "}, {"-", " "}});
}

}  // namespace

const GpuSpec* FindGpuSpec(absl::string_view device_name) {
  const std::string device = Normalized(device_name);
  for (const GpuSpec& entry : kTable) {
    if (absl::StrContains(device, Normalized(entry.name_part))) return &entry;
  }
  return nullptr;
}

int KnownStreamingMultiprocessors(absl::string_view device_name) {
  const GpuSpec* spec = FindGpuSpec(device_name);
  return spec == nullptr ? 0 : spec->sms;
}

void FillFromGpuSpecTable(v1::Platform& platform) {
  const GpuSpec* spec = FindGpuSpec(platform.device_name());
  if (spec == nullptr) return;
  if (platform.kind() == v1::PLATFORM_KIND_UNSPECIFIED) platform.set_kind(v1::PLATFORM_KIND_GPU);
  if (platform.compute_units() == 0) platform.set_compute_units(spec->sms);
  if (platform.core_clock_mhz() == 0) platform.set_core_clock_mhz(spec->core_clock_mhz);
  if (platform.memory_clock_mhz() == 0) platform.set_memory_clock_mhz(spec->memory_clock_mhz);
  if (platform.memory_bytes() == 0) platform.set_memory_bytes(spec->memory_bytes);
  if (platform.memory_bandwidth_gbps() == 0) platform.set_memory_bandwidth_gbps(spec->memory_bandwidth_gbps);
  if (platform.compute_capability().empty()) platform.set_compute_capability(std::string(spec->compute_capability));
  if (platform.l2_cache_bytes() == 0) platform.set_l2_cache_bytes(spec->l2_cache_bytes);
}

}  // namespace convlat::model
