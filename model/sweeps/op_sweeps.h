#pragma once
// The ops an agent times besides convolutions, so that whole networks are predicted from
// measurements: pooling, activations, elementwise arithmetic, concatenation, softmax, resize,
// batch normalization and copies, at the tensor sizes CNNs have.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// "quick": every op kind on a few batch-1 tensors (seconds on a 2-core CPU). "default" (also
// "ops"): every kind over the activation sizes of ResNet, VGG, MobileNet, EfficientNet, DenseNet
// and SqueezeNet layers, at batch 1 and 4. NOT_FOUND otherwise. Every op is valid and normalized.
absl::StatusOr<std::vector<v1::OpParams>> NamedOpSweep(absl::string_view name);

}  // namespace convlat::model
