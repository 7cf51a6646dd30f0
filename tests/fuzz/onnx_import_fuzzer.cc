// libFuzzer target: arbitrary bytes into the ONNX importer, and into the weight stripping the
// client runs on a user's file, must give an error or a result, never a crash, a hang or a
// sanitizer report. Run with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "model/layers/conv_shape.h"
#include "model/onnx/onnx_import.h"
#include "model/onnx/weight_stripping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)convlat::model::StripOnnxWeights(absl::string_view(reinterpret_cast<const char*>(data), size));
  const convlat::model::OnnxImportOptions options{.batch = 2, .max_model_bytes = 1 << 20};
  const auto layers = convlat::model::ImportOnnx(absl::string_view(reinterpret_cast<const char*>(data), size), options);
  if (layers.ok()) {
    for (const convlat::model::NetworkLayer& layer : *layers) {
      if (layer.conv && !convlat::model::ValidateConvParams(*layer.conv, "").ok()) __builtin_trap();
    }
  }
  return 0;
}
