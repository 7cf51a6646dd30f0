// TLS through the binaries' own flags: convlat-server --tls_cert/--tls_key, convlat-agent and
// convlat-client --tls_ca. Each test makes its certificates with the openssl command line: a CA,
// a server certificate it signs for localhost and 127.0.0.1, a certificate it signs for another
// host name, and a second CA that nobody here trusts.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/convlat_processes.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsTest : public ConvlatProcessesTest {
 protected:
  void SetUp() override {
    ConvlatProcessesTest::SetUp();
    if (RunProcess({"/bin/sh", "-c", "openssl version"}).exit_code != 0) {
      GTEST_SKIP() << "the openssl command line, which makes the test certificates, is not installed";
    }
    ASSERT_NO_FATAL_FAILURE(MakeCa("ca"));
    ASSERT_NO_FATAL_FAILURE(MakeCa("untrusted-ca"));
    ASSERT_NO_FATAL_FAILURE(MakeServerCertificate("server", "DNS:localhost,IP:127.0.0.1"));
    ASSERT_NO_FATAL_FAILURE(MakeServerCertificate("elsewhere", "DNS:elsewhere.example"));
  }

  // Runs `openssl ARGUMENTS` in the test's folder.
  void Openssl(const std::string& arguments) {
    const ProcessResult result = RunProcess({"/bin/sh", "-c", "cd " + dir_.string() + " && openssl " + arguments});
    ASSERT_EQ(result.exit_code, 0) << "openssl " << arguments << "\n" << result.output;
  }
  // NAME.key and a self-signed NAME.pem that may sign certificates.
  void MakeCa(const std::string& name) {
    Openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" + name +
            " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout " + name +
            ".key -out " + name + ".pem");
  }
  // NAME.key and NAME.pem, signed by "ca", for the names in `san` (subjectAltName syntax).
  void MakeServerCertificate(const std::string& name, const std::string& san) {
    std::ofstream(dir_ / (name + ".ext")) << "subjectAltName=" << san << "\n";
    Openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " + name +
            ".key -out " + name + ".csr");
    Openssl("x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile " + name +
            ".ext -out " + name + ".pem");
  }
  std::string File(const std::string& name) const { return (dir_ / name).string(); }

  // The server over TLS with the certificate NAME.pem; the agent and client connect as `host`.
  void StartTlsServer(const std::string& name, const std::string& host = "localhost") {
    ASSERT_NO_FATAL_FAILURE(StartServer({"--tls_cert=" + File(name + ".pem"), "--tls_key=" + File(name + ".key")}));
    address_ = host + ":" + std::to_string(port_);
  }
  // The agent profiling two configs of the tiny sweep, quickly, trusting CA.pem.
  ProcessResult ProfileTrusting(const std::string& ca) const {
    return Agent({"--platform=tls-box", "--sweep=" + File("sweep.txt"), "--max_configs=2", "--min_time=0",
                  "--max_time=0.01", "--push_timeout=1", "--tls_ca=" + File(ca + ".pem")});
  }
  // `convlat-client platforms` trusting CA.pem.
  ProcessResult PlatformsTrusting(const std::string& ca) const {
    return Client({"--tls_ca=" + File(ca + ".pem"), "platforms", "--format=csv"});
  }
  // An agent and a client trusting CA.pem are both refused; the client says `reason` (gRPC's words
  // for it); the agent keeps what it measured.
  void ExpectRefused(const std::string& ca, const std::string& reason) const {
    const ProcessResult agent = ProfileTrusting(ca);
    EXPECT_NE(agent.exit_code, 0) << agent.output;
    EXPECT_EQ(PendingBatches(), 1) << "the agent keeps what it measured";
    const ProcessResult client = PlatformsTrusting(ca);
    EXPECT_NE(client.exit_code, 0) << client.output;
    EXPECT_THAT(client.output, HasSubstr(reason));
  }
  // The server, asked over TLS it trusts, has nothing of the refused agent's platform.
  void ExpectNothingStored() const {
    const ProcessResult listed = PlatformsTrusting("ca");
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_THAT(listed.output, Not(HasSubstr("tls-box"))) << "the refused agent registered or stored something";
  }
};

TEST_F(TlsTest, AgentAndClientTrustingTheCaPushAndListOverTls) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer("server"));
  const ProcessResult agent = ProfileTrusting("ca");
  ASSERT_EQ(agent.exit_code, 0) << agent.output;
  EXPECT_EQ(PendingBatches(), 0);
  EXPECT_EQ(StoredMeasurements("tls-box", {"--tls_ca=" + File("ca.pem")}), 2);

  // The certificate names 127.0.0.1 too.
  address_ = "127.0.0.1:" + std::to_string(port_);
  const ProcessResult by_address = PlatformsTrusting("ca");
  ASSERT_EQ(by_address.exit_code, 0) << by_address.output;
  EXPECT_THAT(by_address.output, HasSubstr("tls-box,"));
  // A plaintext client cannot talk to the TLS port.
  EXPECT_NE(Client({"platforms"}).exit_code, 0);
}

TEST_F(TlsTest, AnAgentAndAClientTrustingAnotherCaAreRefusedAndNothingIsStored) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer("server"));
  ExpectRefused("untrusted-ca", "certificate verify failed");
  ExpectNothingStored();
}

TEST_F(TlsTest, ACertificateForAnotherHostNameIsRefusedAndNothingIsStored) {
  // Signed by the trusted CA, but for elsewhere.example, not for localhost.
  ASSERT_NO_FATAL_FAILURE(StartTlsServer("elsewhere"));
  ExpectRefused("ca", "localhost is not in peer certificate");
  // The same store, behind a certificate that names localhost.
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartTlsServer("server"));
  ExpectNothingStored();
}

}  // namespace
}  // namespace convlat::testing
