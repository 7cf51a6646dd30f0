#include "model/datasets/csv_reader.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace convlat::model {

std::string CsvCell(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

absl::StatusOr<CsvReader> CsvReader::Open(std::istream& in, std::string source_name) {
  CsvReader reader(in, std::move(source_name));
  absl::StatusOr<std::optional<std::vector<std::string>>> header = reader.ReadRecord();
  if (!header.ok()) return header.status();
  if (!header->has_value()) return absl::InvalidArgumentError(absl::StrCat(reader.source_, ": empty file, no header"));
  reader.header_ = std::move(**header);
  for (size_t i = 0; i < reader.header_.size(); ++i) {
    std::string name(absl::StripAsciiWhitespace(reader.header_[i]));
    if (!reader.columns_.emplace(name, static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(reader.source_, ":1: column '", name, "' appears twice"));
    }
    reader.header_[i] = std::move(name);
  }
  return reader;
}

int CsvReader::ColumnIndex(absl::string_view name) const {
  auto it = columns_.find(name);
  return it == columns_.end() ? -1 : it->second;
}

absl::StatusOr<std::optional<std::vector<std::string>>> CsvReader::Next() {
  while (true) {
    absl::StatusOr<std::optional<std::vector<std::string>>> record = ReadRecord();
    if (!record.ok() || !record->has_value()) return record;
    const std::vector<std::string>& cells = **record;
    if (cells.size() == 1 && absl::StripAsciiWhitespace(cells[0]).empty()) continue;  // blank line
    if (cells.size() != header_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ":", record_line_, ": ", cells.size(),
                                                     " cells, but the header has ", header_.size(), " columns"));
    }
    return record;
  }
}

absl::StatusOr<std::optional<std::vector<std::string>>> CsvReader::ReadRecord() {
  record_line_ = next_line_;
  std::vector<std::string> cells(1);
  bool quoted = false;
  bool any = false;
  char c;
  while (in_->get(c)) {
    any = true;
    if (quoted) {
      if (c == '"') {
        if (in_->peek() == '"') {
          in_->get(c);
          cells.back() += '"';
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++next_line_;
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c == '\n') {
      ++next_line_;
      if (!cells.back().empty() && cells.back().back() == '\r') cells.back().pop_back();
      return std::optional<std::vector<std::string>>(std::move(cells));
    } else {
      cells.back() += c;
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", record_line_, ": unterminated quoted cell"));
  }
  if (!any) return std::optional<std::vector<std::string>>();
  if (!cells.back().empty() && cells.back().back() == '\r') cells.back().pop_back();
  return std::optional<std::vector<std::string>>(std::move(cells));
}

}  // namespace convlat::model
