#pragma once
// The text spellings of the API's enums (dtype, layout, math mode, op kind): one table per enum,
// looked up both ways.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace convlat::model {

template <typename Enum>
using EnumNames = std::vector<std::pair<std::string, Enum>>;

// The value spelt `name` (case-insensitive); INVALID_ARGUMENT naming `what` and the known
// spellings otherwise.
template <typename Enum>
absl::StatusOr<Enum> LookUpEnum(absl::string_view what, absl::string_view name, const EnumNames<Enum>& table) {
  const std::string lower = absl::AsciiStrToLower(name);
  std::vector<std::string> known;
  for (const auto& [spelling, value] : table) {
    if (spelling == lower) return value;
    known.push_back(spelling);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", what, " '", name, "' (expected one of ", absl::StrJoin(known, ", "), ")"));
}

// The spelling of `value`, or `fallback` when the table has none.
template <typename Enum>
std::string EnumName(Enum value, const EnumNames<Enum>& table, std::string fallback) {
  for (const auto& [spelling, v] : table) {
    if (v == value) return spelling;
  }
  return fallback;
}

}  // namespace convlat::model
