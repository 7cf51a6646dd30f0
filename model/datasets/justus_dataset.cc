#include "model/datasets/justus_dataset.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "model/datasets/csv_reader.h"
#include "model/datasets/gpu_specs.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

constexpr const char* kIntegerColumns[] = {"batch", "in_hw", "c_in", "c_out", "kernel", "stride"};
constexpr const char* kOtherColumns[] = {"padding_tf", "activation",     "use_bias",
                                         "precision",  "time_ms_median", "time_ms_min"};

class JustusRow {
 public:
  JustusRow(const CsvReader& reader, const std::vector<std::string>& cells) : reader_(reader), cells_(cells) {}
  const std::string& Text(const char* column) const { return cells_[reader_.ColumnIndex(column)]; }
  absl::Status Error(const char* column, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(reader_.source(), ":", reader_.line(), ": column '", column, "' ",
                                                   what, ": '", Text(column), "'"));
  }
  absl::StatusOr<int> Integer(const char* column) const {
    int value = 0;
    if (!absl::SimpleAtoi(Text(column), &value) || value <= 0) return Error(column, "is not a positive integer");
    return value;
  }
  absl::StatusOr<double> Milliseconds(const char* column) const {
    double value = 0;
    if (!absl::SimpleAtod(Text(column), &value) || !(value > 0)) return Error(column, "is not a positive time");
    return value;
  }

 private:
  const CsvReader& reader_;
  const std::vector<std::string>& cells_;
};

// "bias", the activation, or both in the order TensorFlow applies them; "" for neither.
absl::StatusOr<std::string> FusedOps(const JustusRow& row) {
  std::vector<std::string> ops;
  const std::string& bias = row.Text("use_bias");
  if (bias == "True") {
    ops.push_back("bias");
  } else if (bias != "False") {
    return row.Error("use_bias", "is not True or False");
  }
  const std::string& activation = row.Text("activation");
  if (activation == "relu" || activation == "tanh" || activation == "sigmoid") {
    ops.push_back(activation);
  } else if (activation != "None") {
    return row.Error("activation", "is not None, relu, tanh or sigmoid");
  }
  return absl::StrJoin(ops, "+");
}

absl::StatusOr<v1::Measurement> ToMeasurement(const JustusRow& row) {
  int v[6];
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<int> value = row.Integer(kIntegerColumns[i]);
    if (!value.ok()) return value.status();
    v[i] = *value;
  }
  const auto [batch, in_hw, c_in, c_out, kernel, stride] = std::tuple(v[0], v[1], v[2], v[3], v[4], v[5]);
  absl::StatusOr<CudnnGeometry> geometry = TensorFlowConvGeometry(in_hw, kernel, stride, row.Text("padding_tf"));
  if (!geometry.ok()) return row.Error("padding_tf", geometry.status().message());
  v1::Measurement m;
  v1::ConvParams& p = *m.mutable_params();
  p.set_n(batch);
  p.set_c(c_in);
  p.set_k(c_out);
  p.set_h(geometry->in);
  p.set_w(geometry->in);
  p.set_r(kernel);
  p.set_s(kernel);
  p.set_stride_h(stride);
  p.set_stride_w(stride);
  p.set_pad_h(geometry->pad);
  p.set_pad_w(geometry->pad);
  p.set_layout(v1::LAYOUT_NHWC);
  const std::string& precision = row.Text("precision");
  if (precision == "fp32") {
    p.set_dtype(v1::DATA_TYPE_FP32);
  } else if (precision == "fp16") {
    p.set_dtype(v1::DATA_TYPE_FP16);
  } else {
    return row.Error("precision", "is not fp32 or fp16");
  }
  NormalizeConvParams(p);
  absl::StatusOr<std::string> fused = FusedOps(row);
  if (!fused.ok()) return fused.status();
  m.set_fused_ops(*fused);
  m.set_backend("tensorflow");
  // One name for every row: the model treats distinct algorithms as distinct kernels, and the
  // activation and bias are not a kernel choice the layer's shape could predict.
  m.set_algorithm("tf1:conv2d");
  absl::StatusOr<double> median = row.Milliseconds("time_ms_median");
  if (!median.ok()) return median.status();
  absl::StatusOr<double> fastest = row.Milliseconds("time_ms_min");
  if (!fastest.ok()) return fastest.status();
  m.mutable_latency()->set_median_us(*median * 1000.0);  // the set is in milliseconds
  m.mutable_latency()->set_min_us(*fastest * 1000.0);
  return m;
}

// "…/Tesla_K40.csv" -> "Tesla K40": the file name is all the set says of its device.
std::string DeviceOf(const std::string& path) {
  return absl::StrReplaceAll(std::filesystem::path(path).stem().string(), {{"_", " "}});
}

}  // namespace

absl::StatusOr<CudnnGeometry> TensorFlowConvGeometry(int in, int kernel, int stride, absl::string_view padding) {
  if (in <= 0 || kernel <= 0 || stride <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", in, ", kernel ", kernel, " and stride ", stride, " must be positive"));
  }
  if (padding == "VALID") {
    if (in < kernel) {
      return absl::InvalidArgumentError(absl::StrCat("VALID with input ", in, " smaller than kernel ", kernel));
    }
    return CudnnGeometry{.in = in, .pad = 0};
  }
  if (padding != "SAME") return absl::InvalidArgumentError("is not SAME or VALID");
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + kernel - in, 0);
  return CudnnGeometry{.in = in + total % 2, .pad = total / 2};
}

absl::StatusOr<JustusDataset> LoadJustusCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  absl::StatusOr<CsvReader> reader = CsvReader::Open(in, path);
  if (!reader.ok()) return reader.status();
  for (const auto& columns : {std::vector<const char*>(std::begin(kIntegerColumns), std::end(kIntegerColumns)),
                              std::vector<const char*>(std::begin(kOtherColumns), std::end(kOtherColumns))}) {
    for (const char* column : columns) {
      if (!reader->HasColumn(column)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": missing column '", column, "'"));
      }
    }
  }
  JustusDataset dataset;
  dataset.device = DeviceOf(path);
  dataset.platform.set_kind(v1::PLATFORM_KIND_GPU);
  dataset.platform.set_device_name(dataset.device);
  dataset.platform.set_library("tensorflow");
  FillFromGpuSpecTable(dataset.platform);
  while (true) {
    absl::StatusOr<std::optional<std::vector<std::string>>> cells = reader->Next();
    if (!cells.ok()) return cells.status();
    if (!cells->has_value()) break;
    absl::StatusOr<v1::Measurement> m = ToMeasurement(JustusRow(*reader, **cells));
    if (!m.ok()) return m.status();
    if (absl::Status s = ValidateConvParams(m->params(), ""); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", reader->line(), ": ", s.message()));
    }
    dataset.measurements.push_back(*std::move(m));
  }
  if (dataset.measurements.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no rows"));
  return dataset;
}

}  // namespace convlat::model
