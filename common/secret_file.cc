#include "common/secret_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace convlat {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(text.str()));
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " is empty"));
  return secret;
}

}  // namespace convlat
