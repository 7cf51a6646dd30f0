#pragma once
// Plain-text, CSV and JSON rendering of tabular command output.

#include <ostream>
#include <string>
#include <vector>

namespace convlat::client {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  // Columns padded to their widest cell; numeric-looking cells are right-aligned.
  void PrintAligned(std::ostream& out) const;
  // RFC 4180: cells holding a comma, quote or newline are quoted, quotes doubled.
  void PrintCsv(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace convlat::client
