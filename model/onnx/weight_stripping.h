#pragma once
// What a client sends of an ONNX network: its graph and shapes, without the weights. The weights
// are nearly all of the file (an AlexNet export: 244 MB, of which the graph is 4 kB) and nothing
// the importer reads, so they are dropped while the file streams past, never held: a query on a
// large export keeps only the graph in memory.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace convlat::model {

// The ONNX model read from `input` with the data of its graph's floating-point initializers
// removed: names, types and dims stay, and they are all the importer reads (integer initializers
// may be shapes it folds, so they keep their data). INVALID_ARGUMENT when the stream is not ONNX.
absl::StatusOr<std::string> StripOnnxWeights(google::protobuf::io::ZeroCopyInputStream& input);

// The same for a model held in memory.
absl::StatusOr<std::string> StripOnnxWeights(absl::string_view model_bytes);

// The ONNX file at `path`, stripped as it is read: the weights are seeked over. NOT_FOUND naming
// the file and why it could not be read ("No such file or directory"); INVALID_ARGUMENT starting
// "PATH: " when it is not ONNX or is cut short ("truncated").
absl::StatusOr<std::string> ReadOnnxFileWithoutWeights(const std::string& path);

}  // namespace convlat::model
