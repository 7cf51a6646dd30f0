#pragma once
// Sweeps: the configurations an agent measures.

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// "quick": real CNN layers at batch 1, sized for about a minute on a 2-core CPU.
// "default": real layers of ResNet, VGG, MobileNet, EfficientNet at several batch sizes plus
// dense 1-D sweeps (out-channels, in-channels, spatial size, batch) that expose the staircase.
// NOT_FOUND for any other name. Every returned config is valid and normalized.
absl::StatusOr<std::vector<v1::ConvParams>> NamedSweep(absl::string_view name);

// A sweep file: one conv spec per line (see conv_spec.h); blank lines and '#' comments ignored.
// Errors name the file and line.
absl::StatusOr<std::vector<v1::ConvParams>> LoadSweepFile(const std::string& path);

// A sweep name ("quick", "default") or else a file path.
absl::StatusOr<std::vector<v1::ConvParams>> ResolveSweep(absl::string_view name_or_path);

}  // namespace convlat::model
