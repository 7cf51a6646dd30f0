#include "client/text_table.h"

#include <algorithm>
#include <cctype>

#include "model/datasets/csv_reader.h"

namespace convlat::client {
namespace {

bool LooksNumeric(const std::string& cell) {
  return !cell.empty() && std::all_of(cell.begin(), cell.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.' || c == '-' || c == '%' || c == 'e' || c == '+';
  });
}

void PrintCsvRow(std::ostream& out, const std::vector<std::string>& row) {
  for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << model::CsvCell(row[i]);
  out << "\n";
}

}  // namespace

void TextTable::PrintAligned(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto widen = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  auto print = [&](const std::vector<std::string>& row, bool is_header) {
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string padding(widths[i] - cell.size(), ' ');
      const bool right = !is_header && LooksNumeric(cell);
      out << (i ? "  " : "") << (right ? padding + cell : (i + 1 < widths.size() ? cell + padding : cell));
    }
    out << "\n";
  };
  print(header_, true);
  for (const auto& row : rows_) print(row, false);
}

void TextTable::PrintCsv(std::ostream& out) const {
  PrintCsvRow(out, header_);
  for (const auto& row : rows_) PrintCsvRow(out, row);
}

}  // namespace convlat::client
