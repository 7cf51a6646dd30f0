#pragma once
// Measurements in the CSV format of docs/measurements-csv.md: what `convlat-agent import` reads,
// what `convlat-agent --csv_out` writes, and what convlat-eval and data/measurements/ use.

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// Every row validated; errors name the source, line and column.
absl::StatusOr<std::vector<v1::Measurement>> ParseMeasurementsCsv(std::istream& in, const std::string& source,
                                                                  const std::string& agent_id);

// The header row, and one row per successful measurement (newline included). The main kernel
// (the longest, as the model uses it) goes into `kernel` and `grid_*`. A failed measurement has
// no latency to write: its row is empty.
std::string MeasurementsCsvHeader();
std::string MeasurementCsvRow(const v1::Measurement& measurement);

}  // namespace convlat::model
