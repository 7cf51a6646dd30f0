#include "model/datasets/measurements_csv.h"

#include <functional>
#include <iterator>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "model/datasets/csv_reader.h"
#include "model/latency/samples.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

using Setter = std::function<absl::Status(const std::string&, v1::Measurement&)>;

Setter Int(void (v1::ConvParams::*set)(int32_t)) {
  return [set](const std::string& text, v1::Measurement& m) {
    int32_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) return absl::InvalidArgumentError("is not an integer");
    (m.mutable_params()->*set)(value);
    return absl::OkStatus();
  };
}

Setter Latency(void (v1::LatencyStats::*set)(double)) {
  return [set](const std::string& text, v1::Measurement& m) {
    double value = 0;
    if (!absl::SimpleAtod(text, &value)) return absl::InvalidArgumentError("is not a number");
    (m.mutable_latency()->*set)(value);
    return absl::OkStatus();
  };
}

// The kernel columns describe one kernel record, created by whichever column comes first.
v1::KernelRecord& MainKernelOf(v1::Measurement& m) {
  return m.kernels_size() > 0 ? *m.mutable_kernels(0) : *m.add_kernels();
}

Setter GridDim(void (v1::Dim3::*set)(uint32_t)) {
  return [set](const std::string& text, v1::Measurement& m) {
    uint32_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) return absl::InvalidArgumentError("is not a non-negative integer");
    (MainKernelOf(m).mutable_grid()->*set)(value);
    return absl::OkStatus();
  };
}

// The columns the writer fills, in order; the reader accepts them all.
constexpr const char* kWrittenColumns[] = {"n",
                                           "c",
                                           "h",
                                           "w",
                                           "k",
                                           "r",
                                           "s",
                                           "stride_h",
                                           "stride_w",
                                           "pad_h",
                                           "pad_w",
                                           "dilation_h",
                                           "dilation_w",
                                           "groups",
                                           "dtype",
                                           "layout",
                                           "math_mode",
                                           "median_us",
                                           "min_us",
                                           "p10_us",
                                           "p90_us",
                                           "repetitions",
                                           "workspace_bytes",
                                           "backend",
                                           "algorithm",
                                           "kernel",
                                           "grid_x",
                                           "grid_y",
                                           "grid_z",
                                           "op",
                                           "hot_median_us"};

template <typename Enum>
Setter EnumColumn(absl::StatusOr<Enum> (*parse)(absl::string_view), void (v1::ConvParams::*set)(Enum)) {
  return [parse, set](const std::string& text, v1::Measurement& m) {
    absl::StatusOr<Enum> value = parse(text);
    if (!value.ok()) return value.status();
    (m.mutable_params()->*set)(*value);
    return absl::OkStatus();
  };
}

const std::map<std::string, Setter>& Columns() {
  static const auto* columns = new std::map<std::string, Setter>{
      {"n", Int(&v1::ConvParams::set_n)},
      {"c", Int(&v1::ConvParams::set_c)},
      {"h", Int(&v1::ConvParams::set_h)},
      {"w", Int(&v1::ConvParams::set_w)},
      {"k", Int(&v1::ConvParams::set_k)},
      {"r", Int(&v1::ConvParams::set_r)},
      {"s", Int(&v1::ConvParams::set_s)},
      {"stride_h", Int(&v1::ConvParams::set_stride_h)},
      {"stride_w", Int(&v1::ConvParams::set_stride_w)},
      {"pad_h", Int(&v1::ConvParams::set_pad_h)},
      {"pad_w", Int(&v1::ConvParams::set_pad_w)},
      {"dilation_h", Int(&v1::ConvParams::set_dilation_h)},
      {"dilation_w", Int(&v1::ConvParams::set_dilation_w)},
      {"groups", Int(&v1::ConvParams::set_groups)},
      {"dtype", EnumColumn(&ParseDataType, &v1::ConvParams::set_dtype)},
      {"layout", EnumColumn(&ParseLayout, &v1::ConvParams::set_layout)},
      {"math_mode", EnumColumn(&ParseMathMode, &v1::ConvParams::set_math_mode)},
      {"median_us", Latency(&v1::LatencyStats::set_median_us)},
      {"min_us", Latency(&v1::LatencyStats::set_min_us)},
      {"p10_us", Latency(&v1::LatencyStats::set_p10_us)},
      {"p90_us", Latency(&v1::LatencyStats::set_p90_us)},
      // The CPU agent's hot timing (Measurement.hot_latency); empty when it timed only evicted.
      {"hot_median_us",
       [](const std::string& text, v1::Measurement& m) {
         double value = 0;
         if (!absl::SimpleAtod(text, &value)) return absl::InvalidArgumentError("is not a number");
         if (!(value > 0)) return absl::InvalidArgumentError("must be > 0 (leave it empty when not timed hot)");
         m.mutable_hot_latency()->set_median_us(value);
         return absl::OkStatus();
       }},
      {"repetitions",
       [](const std::string& text, v1::Measurement& m) {
         int32_t value = 0;
         if (!absl::SimpleAtoi(text, &value)) return absl::InvalidArgumentError("is not an integer");
         m.mutable_latency()->set_repetitions(value);
         return absl::OkStatus();
       }},
      {"workspace_bytes",
       [](const std::string& text, v1::Measurement& m) {
         int64_t value = 0;
         if (!absl::SimpleAtoi(text, &value)) return absl::InvalidArgumentError("is not an integer");
         m.set_workspace_bytes(value);
         return absl::OkStatus();
       }},
      {"backend",
       [](const std::string& text, v1::Measurement& m) {
         m.set_backend(text);
         return absl::OkStatus();
       }},
      {"algorithm",
       [](const std::string& text, v1::Measurement& m) {
         m.set_algorithm(text);
         return absl::OkStatus();
       }},
      {"kernel",
       [](const std::string& text, v1::Measurement& m) {
         MainKernelOf(m).set_name(text);
         return absl::OkStatus();
       }},
      {"grid_x", GridDim(&v1::Dim3::set_x)},
      {"grid_y", GridDim(&v1::Dim3::set_y)},
      {"grid_z", GridDim(&v1::Dim3::set_z)},
      {"op",
       [](const std::string& text, v1::Measurement& m) {
         absl::StatusOr<v1::OpParams> op = ParseOpSpec(text);
         if (!op.ok()) return op.status();
         *m.mutable_op() = *op;
         return absl::OkStatus();
       }},
  };
  return *columns;
}

// Required unless the file has an `op` column (then a row is a convolution or another op).
constexpr const char* kConvColumns[] = {"n", "c", "h", "w", "k", "r", "s"};

// A row's layer: the op of the `op` cell, or else the convolution of the conv cells.
absl::Status ValidateRowLayer(v1::Measurement& m) {
  if (!m.has_op()) {
    if (absl::Status s = ValidateConvParams(m.params(), ""); !s.ok()) return s;
    NormalizeConvParams(*m.mutable_params());
    return absl::OkStatus();
  }
  if (m.has_params()) {
    return absl::InvalidArgumentError("a row is a convolution or an op: leave the conv columns empty when 'op' is set");
  }
  if (absl::Status s = ValidateOpParams(m.op(), "op"); !s.ok()) return s;
  NormalizeOpParams(*m.mutable_op());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<v1::Measurement>> ParseMeasurementsCsv(std::istream& in, const std::string& source,
                                                                  const std::string& agent_id) {
  absl::StatusOr<CsvReader> reader = CsvReader::Open(in, source);
  if (!reader.ok()) return reader.status();
  std::vector<const char*> required = {"median_us"};
  if (!reader->HasColumn("op")) required.insert(required.end(), std::begin(kConvColumns), std::end(kConvColumns));
  for (const char* column : required) {
    if (!reader->HasColumn(column)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":1: required column '", column, "' is missing"));
    }
  }
  for (const std::string& column : reader->header()) {
    if (!Columns().count(column)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":1: unknown column '", column, "'"));
    }
  }
  std::vector<v1::Measurement> measurements;
  const auto now = google::protobuf::util::TimeUtil::GetCurrentTime();
  while (true) {
    absl::StatusOr<std::optional<std::vector<std::string>>> cells = reader->Next();
    if (!cells.ok()) return cells.status();
    if (!cells->has_value()) break;
    v1::Measurement m;
    m.set_backend("import");
    m.set_agent_id(agent_id);
    *m.mutable_measured_at() = now;
    for (size_t i = 0; i < (*cells)->size(); ++i) {
      const std::string text(absl::StripAsciiWhitespace((**cells)[i]));
      if (text.empty()) continue;  // optional column left blank
      if (absl::Status s = Columns().at(reader->header()[i])(text, m); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", reader->line(), ": column '", reader->header()[i], "' ", s.message()));
      }
    }
    if (absl::Status s = ValidateRowLayer(m); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", reader->line(), ": ", s.message()));
    }
    if (!(m.latency().median_us() > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", reader->line(), ": column 'median_us' must be > 0"));
    }
    measurements.push_back(std::move(m));
  }
  if (measurements.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no measurements"));
  return measurements;
}

std::string MeasurementsCsvHeader() { return absl::StrCat(absl::StrJoin(kWrittenColumns, ","), "\n"); }

std::string MeasurementCsvRow(const v1::Measurement& m) {
  if (m.failed() || !(m.latency().median_us() > 0)) return "";
  v1::ConvParams p = m.params();
  NormalizeConvParams(p);
  std::string op;
  if (m.has_op()) {
    v1::OpParams normalized = m.op();
    NormalizeOpParams(normalized);
    op = FormatOpSpec(normalized);
  }
  const v1::LatencyStats& t = m.latency();
  const v1::KernelRecord* kernel = MainKernel(m);
  const v1::KernelRecord none;
  const v1::KernelRecord& k = kernel != nullptr ? *kernel : none;
  std::vector<std::string> layer = {
      absl::StrCat(p.n()),          absl::StrCat(p.c()),      absl::StrCat(p.h()),     absl::StrCat(p.w()),
      absl::StrCat(p.k()),          absl::StrCat(p.r()),      absl::StrCat(p.s()),     absl::StrCat(p.stride_h()),
      absl::StrCat(p.stride_w()),   absl::StrCat(p.pad_h()),  absl::StrCat(p.pad_w()), absl::StrCat(p.dilation_h()),
      absl::StrCat(p.dilation_w()), absl::StrCat(p.groups()), DataTypeName(p.dtype()), LayoutName(p.layout()),
      MathModeName(p.math_mode())};
  // An op's row leaves the conv columns empty.
  if (m.has_op()) layer.assign(layer.size(), "");
  std::vector<std::string> cells = {absl::StrCat(t.median_us()),
                                    absl::StrCat(t.min_us()),
                                    absl::StrCat(t.p10_us()),
                                    absl::StrCat(t.p90_us()),
                                    absl::StrCat(t.repetitions()),
                                    absl::StrCat(m.workspace_bytes()),
                                    CsvCell(m.backend()),
                                    CsvCell(m.algorithm()),
                                    CsvCell(k.name()),
                                    kernel != nullptr ? absl::StrCat(k.grid().x()) : "",
                                    kernel != nullptr ? absl::StrCat(k.grid().y()) : "",
                                    kernel != nullptr ? absl::StrCat(k.grid().z()) : "",
                                    CsvCell(op),
                                    m.has_hot_latency() ? absl::StrCat(m.hot_latency().median_us()) : ""};
  return absl::StrCat(absl::StrJoin(layer, ","), ",", absl::StrJoin(cells, ","), "\n");
}

}  // namespace convlat::model
