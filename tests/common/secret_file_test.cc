#include "common/secret_file.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat {
namespace {

using ::testing::HasSubstr;

std::string WriteTemporary(const std::string& name, const std::string& content) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path) << content;
  return path;
}

TEST(SecretFileTest, ReadsTheContentWithoutSurroundingWhitespace) {
  absl::StatusOr<std::string> secret = ReadSecretFile(WriteTemporary("token", "  s3cret\n"), "token_file");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "s3cret");
}

TEST(SecretFileTest, MissingOrEmptyFilesNameTheFlag) {
  absl::StatusOr<std::string> missing = ReadSecretFile("/nonexistent/convlat-token", "token_file");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("--token_file"));
  absl::StatusOr<std::string> empty = ReadSecretFile(WriteTemporary("empty", "\n \n"), "agent_token_file");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("--agent_token_file"));
}

}  // namespace
}  // namespace convlat
