// The server's protections, against the real server in-process and the agent's real channel:
// the agent token on every write, TLS, and queries that stay open.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "profiler_agent/delivery/agent_channel.h"
#include "server/server_app.h"
#include "tests/server/in_process_server.h"

namespace convlat::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SecurityTest : public InProcessServerTest {};

TEST_F(SecurityTest, WritesNeedTheAgentTokenQueriesDoNot) {
  Start({.agent_token = "s3cret-token"});
  const auto plain = grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials());
  const grpc::Status missing = Register(plain);
  EXPECT_EQ(missing.error_code(), grpc::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("--token_file"));
  EXPECT_EQ(Register(agent::MakeAgentChannel({.server = Address(), .token = "s3cret-tokeN"})).error_code(),
            grpc::UNAUTHENTICATED);
  EXPECT_EQ(Register(agent::MakeAgentChannel({.server = Address(), .token = "s3cret"})).error_code(),
            grpc::UNAUTHENTICATED);
  EXPECT_TRUE(Register(agent::MakeAgentChannel({.server = Address(), .token = "s3cret-token"})).ok());

  // The refused calls stored nothing; the accepted one did; reading needs no token.
  v1::ListPlatformsResponse platforms;
  grpc::ClientContext context;
  ASSERT_TRUE(v1::LatencyService::NewStub(plain)->ListPlatforms(&context, {}, &platforms).ok());
  ASSERT_EQ(platforms.platforms_size(), 1);
  EXPECT_EQ(platforms.platforms(0).platform().name(), "box");
}

TEST_F(SecurityTest, WithoutATokenConfiguredAnyAgentWrites) {
  Start({});
  EXPECT_TRUE(Register(grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials())).ok());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(SecurityTest, TlsCarriesTheCallsAndPlaintextIsRefused) {
  const fs::path key = dir_ / "key.pem", cert = dir_ / "cert.pem";
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "openssl could not make a test certificate";
  Start({.agent_token = "t", .tls_cert_pem = ReadFile(cert), .tls_key_pem = ReadFile(key)});

  EXPECT_TRUE(
      Register(agent::MakeAgentChannel({.server = Address("localhost"), .token = "t", .tls_ca_pem = ReadFile(cert)}))
          .ok());
  // A plaintext client cannot talk to the TLS port.
  EXPECT_FALSE(Register(agent::MakeAgentChannel({.server = Address(), .token = "t"})).ok());
}

TEST_F(SecurityTest, HalfATlsConfigurationIsRefused) {
  ServerOptions options{.listen = "127.0.0.1:0", .db = (dir_ / "x.db").string(), .metrics_listen = ""};
  options.tls_cert_pem = "-----BEGIN CERTIFICATE-----";
  EXPECT_EQ(ServerApp::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convlat::server
