#pragma once
// A network as convlat predicts it: the layers that launch work, in execution order, each either
// a convolution (predicted by the platform's conv model) or another op (predicted by the op model),
// described by its parameters where the agents can time it, and always by its FLOPs and bytes.

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
  // Other ops the agents time (pooling, activations, ...), as the op model predicts them.
  std::optional<v1::OpParams> op_params;
  // Other ops: arithmetic (1 per output element per input read for elementwise ops) and bytes read
  // and written; from op_params when set, else the importer's own count.
  double flops = 0;
  double bytes = 0;
};

}  // namespace convlat::model
