#pragma once
// Sweeps: the configurations an agent measures.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// "quick": real CNN layers at batch 1, sized for about a minute on a 2-core CPU.
// "default": real layers of ResNet, VGG, MobileNet, EfficientNet at several batch sizes plus
// dense 1-D sweeps (out-channels, in-channels, spatial size, batch) that expose the staircase.
// NOT_FOUND for any other name. Every returned config is valid and normalized.
absl::StatusOr<std::vector<v1::ConvParams>> NamedSweep(absl::string_view name);

// What an agent measures: convolutions, and other ops (see op_sweeps.h).
struct Sweep {
  std::vector<v1::ConvParams> convs;
  std::vector<v1::OpParams> ops;
};

// One line of a sweep or layer file: a convolution or another op.
struct SpecLine {
  std::optional<v1::ConvParams> conv;
  std::optional<v1::OpParams> op;  // normalized
  int line = 0;
};
// Every spec of the file, validated, in file order (a layer list keeps its repeats).
absl::StatusOr<std::vector<SpecLine>> ReadSpecFile(const std::string& path);

// A sweep file: one conv spec (see conv_spec.h) or op spec (`op=...`, see op_params.h) per line;
// blank lines and '#' comments ignored. Errors name the file and line.
absl::StatusOr<Sweep> LoadSweepFile(const std::string& path);

// "quick" and "default": that conv sweep and that op sweep; "ops": the default op sweep alone;
// anything else is a file path.
absl::StatusOr<Sweep> ResolveSweep(absl::string_view name_or_path);

}  // namespace convlat::model
