#include "model/datasets/gpu_specs.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace convlat::model {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kKiB = int64_t{1} << 10;

struct Entry {
  absl::string_view name_part;  // lower case, '_' and '-' read as ' '
  GpuSpec spec;
};

// Vendors' data sheets (boost clocks, peak DRAM bandwidth). Most specific names first: "h100 pcie"
// must not match the SXM entry, "a100 80gb pcie" not the 40 GB SXM one. K80 and M60 are boards of
// two GPUs: an entry is one of them, as CUDA shows it.
constexpr Entry kTable[] = {
    {"h100 pcie", {"H100 PCIe", 114, 1755, 2039, "9.0", 80 * kGiB, 50 * kMiB}},
    {"h100", {"H100 SXM5", 132, 1980, 3352, "9.0", 80 * kGiB, 50 * kMiB}},
    {"h200", {"H200 SXM", 132, 1980, 4800, "9.0", 141 * kGiB, 60 * kMiB}},
    {"a100 80gb pcie", {"A100 80GB PCIe", 108, 1410, 1935, "8.0", 80 * kGiB, 40 * kMiB}},
    {"a100", {"A100 SXM4 40GB", 108, 1410, 1555, "8.0", 40 * kGiB, 40 * kMiB}},
    {"v100", {"Tesla V100", 80, 1380, 900, "7.0", 32 * kGiB, 6 * kMiB}},
    {"t4", {"Tesla T4", 40, 1590, 320, "7.5", 16 * kGiB, 4 * kMiB}},
    {"l40", {"L40", 142, 2490, 864, "8.9", 48 * kGiB, 96 * kMiB}},
    {"l4", {"L4", 58, 2040, 300, "8.9", 24 * kGiB, 48 * kMiB}},
    {"a10", {"A10", 72, 1695, 600, "8.6", 24 * kGiB, 6 * kMiB}},
    {"1080 ti", {"GeForce GTX 1080 Ti", 28, 1582, 484, "6.1", 11 * kGiB, 2816 * kKiB}},
    {"k40", {"Tesla K40", 15, 875, 288, "3.5", 12 * kGiB, 1536 * kKiB}},
    {"k80", {"Tesla K80 (one GK210)", 13, 875, 240, "3.7", 12 * kGiB, 1536 * kKiB}},
    {"m60", {"Tesla M60 (one GM204)", 16, 1178, 160, "5.2", 8 * kGiB, 2 * kMiB}},
    {"jetson nano", {"Jetson Nano (GM20B)", 1, 921.6, 25.6, "5.3", 4 * kGiB, 256 * kKiB}},
};

}  // namespace

std::optional<GpuSpec> PublishedGpuSpec(absl::string_view device_name) {
  const std::string name = absl::StrReplaceAll(absl::AsciiStrToLower(device_name), {{"_", " "}, {"-", " "}});
  for (const Entry& entry : kTable) {
    if (absl::StrContains(name, entry.name_part)) return entry.spec;
  }
  return std::nullopt;
}

int KnownStreamingMultiprocessors(absl::string_view device_name) {
  const std::optional<GpuSpec> spec = PublishedGpuSpec(device_name);
  return spec ? spec->sms : 0;
}

bool FillFromPublishedSpec(v1::Platform& platform) {
  const std::optional<GpuSpec> spec = PublishedGpuSpec(platform.device_name());
  if (!spec) return false;
  bool filled = false;
  auto fill = [&filled](auto current, auto value, auto set) {
    if (current == decltype(current){} && value != decltype(value){}) {
      set(value);
      filled = true;
    }
  };
  fill(platform.compute_units(), spec->sms, [&](int v) { platform.set_compute_units(v); });
  fill(platform.core_clock_mhz(), spec->boost_clock_mhz, [&](double v) { platform.set_core_clock_mhz(v); });
  fill(platform.memory_bandwidth_gbps(), spec->memory_bandwidth_gbps,
       [&](double v) { platform.set_memory_bandwidth_gbps(v); });
  fill(platform.memory_bytes(), spec->memory_bytes, [&](int64_t v) { platform.set_memory_bytes(v); });
  fill(platform.l2_cache_bytes(), spec->l2_cache_bytes, [&](int64_t v) { platform.set_l2_cache_bytes(v); });
  if (platform.compute_capability().empty()) {
    platform.set_compute_capability(std::string(spec->compute_capability));
    filled = true;
  }
  if (platform.kind() == v1::PLATFORM_KIND_UNSPECIFIED) platform.set_kind(v1::PLATFORM_KIND_GPU);
  return filled;
}

}  // namespace convlat::model
