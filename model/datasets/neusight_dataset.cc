#include "model/datasets/neusight_dataset.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "model/datasets/csv_reader.h"
#include "model/datasets/gpu_specs.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

// The header's spelling, typo included ("Kernel_Szie").
constexpr const char* kRequired[] = {
    "Latency", "Kernel Name",   "Grid x",         "Grid y",      "Grid z",     "Block x", "Block y", "Block z",
    "B",       "Input_Channel", "Output_Channel", "Kernel_Szie", "Input_Size", "Stride",  "Padding", "Device"};

class RowView {
 public:
  RowView(const CsvReader& reader, const std::vector<std::string>& cells) : reader_(reader), cells_(cells) {}
  const std::string& Text(const char* column) const { return cells_[reader_.ColumnIndex(column)]; }
  bool HasColumn(const char* column) const { return reader_.HasColumn(column); }
  absl::StatusOr<double> Number(const char* column) const {
    double value = 0;
    if (!absl::SimpleAtod(Text(column), &value)) {
      return absl::InvalidArgumentError(absl::StrCat(reader_.source(), ":", reader_.line(), ": column '", column,
                                                     "' is not a number: '", Text(column), "'"));
    }
    return value;
  }

 private:
  const CsvReader& reader_;
  const std::vector<std::string>& cells_;
};

absl::StatusOr<v1::Measurement> ToMeasurement(const RowView& row) {
  double v[14];
  const char* numeric[] = {"Latency",     "Grid x",     "Grid y", "Grid z",        "Block x",
                           "Block y",     "Block z",    "B",      "Input_Channel", "Output_Channel",
                           "Kernel_Szie", "Input_Size", "Stride", "Padding"};
  for (int i = 0; i < 14; ++i) {
    absl::StatusOr<double> value = row.Number(numeric[i]);
    if (!value.ok()) return value.status();
    v[i] = *value;
  }
  v1::Measurement m;
  v1::ConvParams& p = *m.mutable_params();
  p.set_n(static_cast<int32_t>(v[7]));
  p.set_c(static_cast<int32_t>(v[8]));
  p.set_k(static_cast<int32_t>(v[9]));
  p.set_r(static_cast<int32_t>(v[10]));
  p.set_s(static_cast<int32_t>(v[10]));
  p.set_h(static_cast<int32_t>(v[11]));
  p.set_w(static_cast<int32_t>(v[11]));
  p.set_stride_h(static_cast<int32_t>(v[12]));
  p.set_stride_w(static_cast<int32_t>(v[12]));
  p.set_pad_h(static_cast<int32_t>(v[13]));
  p.set_pad_w(static_cast<int32_t>(v[13]));
  p.set_dtype(v1::DATA_TYPE_FP32);
  p.set_layout(v1::LAYOUT_NCHW);
  NormalizeConvParams(p);
  m.set_backend("cudnn");
  m.set_algorithm(row.Text("Kernel Name"));
  m.mutable_latency()->set_median_us(v[0] * 1000.0);  // the dataset is in milliseconds
  m.mutable_latency()->set_repetitions(1);
  v1::KernelRecord& kernel = *m.add_kernels();
  kernel.set_name(row.Text("Kernel Name"));
  kernel.mutable_grid()->set_x(static_cast<uint32_t>(v[1]));
  kernel.mutable_grid()->set_y(static_cast<uint32_t>(v[2]));
  kernel.mutable_grid()->set_z(static_cast<uint32_t>(v[3]));
  kernel.mutable_block()->set_x(static_cast<uint32_t>(v[4]));
  kernel.mutable_block()->set_y(static_cast<uint32_t>(v[5]));
  kernel.mutable_block()->set_z(static_cast<uint32_t>(v[6]));
  // The other kernels of the layer (Winograd transforms, offset computations) are named without
  // grids or durations; they tell, for one, that a plain GEMM ran non-fused Winograd.
  if (row.HasColumn("Kernels")) {
    for (absl::string_view name : absl::StrSplit(row.Text("Kernels"), ';', absl::SkipWhitespace())) {
      if (name != kernel.name()) m.add_kernels()->set_name(std::string(name));
    }
  }
  return m;
}

v1::Platform DescribePlatform(const CsvReader& reader, const std::vector<std::string>& cells) {
  v1::Platform platform;
  platform.set_kind(v1::PLATFORM_KIND_GPU);
  platform.set_device_name(cells[reader.ColumnIndex("Device")]);
  platform.set_library("cudnn");
  int version = 0;
  if (reader.HasColumn("CUDNN Version") && absl::SimpleAtoi(cells[reader.ColumnIndex("CUDNN Version")], &version)) {
    platform.set_library_version(absl::StrCat(version / 1000, ".", version % 1000 / 100, ".", version % 100));
  }
  FillFromGpuSpecTable(platform);  // the file names its device but does not describe it
  return platform;
}

}  // namespace

absl::StatusOr<NeuSightDataset> LoadNeuSightCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  absl::StatusOr<CsvReader> reader = CsvReader::Open(in, path);
  if (!reader.ok()) return reader.status();
  for (const char* column : kRequired) {
    if (!reader->HasColumn(column)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing column '", column, "'"));
    }
  }
  NeuSightDataset dataset;
  while (true) {
    absl::StatusOr<std::optional<std::vector<std::string>>> cells = reader->Next();
    if (!cells.ok()) return cells.status();
    if (!cells->has_value()) break;
    RowView row(*reader, **cells);
    absl::StatusOr<v1::Measurement> m = ToMeasurement(row);
    if (!m.ok()) return m.status();
    if (absl::Status s = ValidateConvParams(m->params(), ""); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", reader->line(), ": ", s.message()));
    }
    if (dataset.device.empty()) {
      dataset.device = row.Text("Device");
      dataset.platform = DescribePlatform(*reader, **cells);
    }
    dataset.measurements.push_back(*std::move(m));
  }
  return dataset;
}

}  // namespace convlat::model
