#pragma once
// Recorded measurements in the CSV format of docs/measurements-csv.md, for seeding a platform.

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// Every row validated; errors name the source, line and column.
absl::StatusOr<std::vector<v1::Measurement>> ParseMeasurementsCsv(std::istream& in, const std::string& source,
                                                                  const std::string& agent_id);

}  // namespace convlat::agent
