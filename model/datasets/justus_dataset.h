#pragma once
// Reader for the public conv benchmarks of Justus et al. (data/public/justus-conv/): one row per
// TensorFlow 1.x `tf.layers.conv2d` forward pass on a GPU, NHWC, with TensorFlow's SAME/VALID
// padding, a fused activation and an optional bias. Rows become Measurements as an agent would
// record them (no kernel records: the set has none), so the store, the models and the evaluation
// treat them like the NeuSight rows.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct JustusDataset {
  std::string device;  // from the file name: Tesla_K40.csv -> "Tesla K40"
  std::vector<v1::Measurement> measurements;
  // Kind GPU, the device name, the library ("tensorflow"), and the GPU spec table's figures.
  v1::Platform platform;
};

absl::StatusOr<JustusDataset> LoadJustusCsv(const std::string& path);

// The convolution cuDNN runs for a TensorFlow 1.x conv2d on a GPU with `padding` "SAME" or
// "VALID". SAME pads total = max((ceil(in/stride) - 1) * stride + kernel - in, 0); cuDNN takes one
// pad per axis for both sides, so for an odd total TensorFlow first copies the input into a
// tensor one larger (the extra zero row/column at the bottom/right) and pads total/2 around it.
struct CudnnGeometry {
  int in = 0;   // input height (= width) cuDNN sees: in, or in + 1 for an odd SAME total
  int pad = 0;  // on each side
};
absl::StatusOr<CudnnGeometry> TensorFlowConvGeometry(int in, int kernel, int stride, absl::string_view padding);

}  // namespace convlat::model
