#include "model/datasets/gpu_specs.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace convlat::model {

int KnownStreamingMultiprocessors(absl::string_view device_name) {
  // Most specific names first: "H100 PCIe" must not match the SXM entry.
  struct Entry {
    absl::string_view name_part;
    int sms;
  };
  static constexpr Entry kTable[] = {
      {"H100 PCIe", 114}, {"H100", 132}, {"H200", 132}, {"A100", 108}, {"V100", 80},
      {"T4", 40},         {"L40", 142},  {"L4", 58},    {"A10", 72},   {"Jetson Nano", 1},
  };
  for (const Entry& entry : kTable) {
    if (absl::StrContains(absl::AsciiStrToLower(device_name), absl::AsciiStrToLower(entry.name_part))) return entry.sms;
  }
  return 0;
}

}  // namespace convlat::model
