#include "model/onnx/weight_stripping.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "onnx/onnx_pb.h"

namespace convlat::model {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// Field numbers of onnx.proto (ModelProto.graph, GraphProto.initializer, TensorProto's fields).
constexpr int kModelGraph = 7;
constexpr int kGraphInitializer = 5;
constexpr int kTensorDataType = 2;
constexpr int kTensorFloatData = 4;
constexpr int kTensorInt32Data = 5;  // also float16 and bfloat16 values
constexpr int kTensorRawData = 9;
constexpr int kTensorDoubleData = 10;

bool IsFloatingPoint(int64_t data_type) {
  return data_type == onnx::TensorProto::FLOAT || data_type == onnx::TensorProto::FLOAT16 ||
         data_type == onnx::TensorProto::BFLOAT16 || data_type == onnx::TensorProto::DOUBLE;
}

bool IsWeightData(int field) {
  return field == kTensorRawData || field == kTensorFloatData || field == kTensorDoubleData ||
         field == kTensorInt32Data;
}

// Copies the fields of one message from `in` (up to its end or its pushed limit) to `out`. A
// length-delimited field goes through `rewrite(field, tag, in, out)` first: nullopt leaves it to
// be copied as it is, otherwise the rewrite wrote it and says whether it could.
template <typename Rewrite>
bool CopyMessage(CodedInputStream& in, CodedOutputStream& out, Rewrite rewrite) {
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::optional<bool> handled = rewrite(field, tag, in, out);
      if (handled.has_value()) {
        if (!*handled) return false;
        continue;
      }
    }
    if (!WireFormatLite::SkipField(&in, tag, &out)) return false;
  }
  return in.ConsumedEntireMessage();
}

// Reads the length-delimited message at `in` and writes it under `tag` as `copy` rewrites it:
// nested messages are rebuilt in a buffer, since their length changes.
template <typename Copy>
bool RewriteNested(uint32_t tag, CodedInputStream& in, CodedOutputStream& out, Copy copy) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
  std::string rewritten;
  {
    StringOutputStream buffer(&rewritten);
    CodedOutputStream nested(&buffer);
    if (!copy(in, nested)) return false;
  }
  in.PopLimit(limit);
  out.WriteTag(tag);
  out.WriteVarint32(static_cast<uint32_t>(rewritten.size()));
  out.WriteString(rewritten);
  return true;
}

// A TensorProto without its data when it is floating point. Exporters write data_type before the
// data (fields in number order); data met before any data_type is kept, as it may be a shape's.
bool CopyInitializer(CodedInputStream& in, CodedOutputStream& out) {
  std::optional<int64_t> data_type;
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == kTensorDataType && WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t value = 0;
      if (!in.ReadVarint64(&value)) return false;
      data_type = static_cast<int64_t>(value);
      out.WriteTag(tag);
      out.WriteVarint64(value);
      continue;
    }
    const bool drop = IsWeightData(field) && data_type.has_value() && IsFloatingPoint(*data_type);
    if (!(drop ? WireFormatLite::SkipField(&in, tag) : WireFormatLite::SkipField(&in, tag, &out))) return false;
  }
  return in.ConsumedEntireMessage();
}

bool CopyGraph(CodedInputStream& in, CodedOutputStream& out) {
  return CopyMessage(in, out, [](int field, uint32_t tag, CodedInputStream& graph_in, CodedOutputStream& graph_out) {
    return field == kGraphInitializer ? std::optional<bool>(RewriteNested(tag, graph_in, graph_out, CopyInitializer))
                                      : std::nullopt;
  });
}

bool CopyModel(CodedInputStream& in, CodedOutputStream& out) {
  return CopyMessage(in, out, [](int field, uint32_t tag, CodedInputStream& model_in, CodedOutputStream& model_out) {
    return field == kModelGraph ? std::optional<bool>(RewriteNested(tag, model_in, model_out, CopyGraph))
                                : std::nullopt;
  });
}

absl::Status CannotRead(const std::string& path, int error) {
  return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::string> StripOnnxWeights(google::protobuf::io::ZeroCopyInputStream& input) {
  std::string stripped;
  bool copied = false;
  {
    CodedInputStream in(&input);
    StringOutputStream buffer(&stripped);
    CodedOutputStream out(&buffer);
    copied = CopyModel(in, out) && !out.HadError();
  }
  // The walk above checks the wire format only; what it kept must also be an ONNX model.
  onnx::ModelProto model;
  if (!copied || stripped.empty() || !model.ParseFromString(stripped)) {
    return absl::InvalidArgumentError("not an ONNX model (the protobuf does not parse; truncated or another format?)");
  }
  return stripped;
}

absl::StatusOr<std::string> StripOnnxWeights(absl::string_view model_bytes) {
  google::protobuf::io::ArrayInputStream input(model_bytes.data(), static_cast<int>(model_bytes.size()));
  return StripOnnxWeights(input);
}

absl::StatusOr<std::string> ReadOnnxFileWithoutWeights(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return CannotRead(path, errno);
  google::protobuf::io::FileInputStream file(fd);
  file.SetCloseOnDelete(true);
  struct stat info {};
  if (fstat(fd, &info) != 0) return CannotRead(path, errno);
  absl::StatusOr<std::string> stripped = StripOnnxWeights(file);
  if (file.GetErrno() != 0) return CannotRead(path, file.GetErrno());
  if (!stripped.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", stripped.status().message()));
  // A seek past the end succeeds, so a file cut inside its weights walks to the end unnoticed: its
  // fields claimed more bytes than it has.
  if (file.ByteCount() > static_cast<int64_t>(info.st_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": truncated: its fields claim ", file.ByteCount(), " bytes, the file has ", info.st_size));
  }
  return stripped;
}

}  // namespace convlat::model
