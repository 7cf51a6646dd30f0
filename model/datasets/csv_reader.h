#pragma once
// A small RFC 4180 CSV reader: a header row, then records; quoted cells may hold commas, quotes
// (doubled) and newlines. Cells are looked up by column name. And the one cell writer.

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convlat::model {

// One cell as this reader reads it back: quoted when it holds a comma, quote or line break, quotes
// doubled (what every CSV convlat writes uses).
std::string CsvCell(absl::string_view text);

class CsvReader {
 public:
  // Reads the header. INVALID_ARGUMENT when the input is empty or a column name repeats.
  static absl::StatusOr<CsvReader> Open(std::istream& in, std::string source_name);

  // The next record; nullopt at the end. Errors name the source and line.
  absl::StatusOr<std::optional<std::vector<std::string>>> Next();

  bool HasColumn(absl::string_view name) const { return columns_.contains(name); }
  // Index of the named column, or -1.
  int ColumnIndex(absl::string_view name) const;
  const std::vector<std::string>& header() const { return header_; }
  // Line on which the last record returned by Next() started (1-based, header is line 1).
  int line() const { return record_line_; }
  const std::string& source() const { return source_; }

 private:
  CsvReader(std::istream& in, std::string source) : in_(&in), source_(std::move(source)) {}
  // One record, or nullopt at end of input.
  absl::StatusOr<std::optional<std::vector<std::string>>> ReadRecord();

  std::istream* in_;
  std::string source_;
  std::vector<std::string> header_;
  absl::flat_hash_map<std::string, int> columns_;
  int next_line_ = 1;
  int record_line_ = 0;
};

}  // namespace convlat::model
