#pragma once
// A network as convlat predicts it: the layers that launch work, in execution order, each either
// a convolution (predicted by the platform's conv model) or another op described by its FLOPs and
// the bytes it moves.

#include <optional>
#include <string>
#include <vector>

#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct NetworkLayer {
  std::string name;   // the ONNX node's name (or op and index when it has none)
  std::string op;     // the ONNX op; ops a runtime fuses into a conv are joined: "Conv+BatchNormalization+Relu"
  std::string shape;  // inputs → output, e.g. "1x64x56x56 -> 1x64x56x56"
  // Conv, ConvTranspose (as the convolution it transposes), Gemm and MatMul (as 1x1 convolutions).
  std::optional<v1::ConvParams> conv;
  double flops = 0;  // other ops: arithmetic, 1 per output element per input read for elementwise ops
  double bytes = 0;  // other ops: bytes read and written
};

}  // namespace convlat::model
