#include "tests/support/onnx_fixture.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace convlat::testing {

std::string OnnxFixture(const std::string& name) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/" + name + ".onnx";
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in || bytes.str().empty()) throw std::runtime_error("cannot read the ONNX fixture " + path);
  return bytes.str();
}

}  // namespace convlat::testing
