#pragma once
// The ONNX networks of tests/fixtures/onnx/ (stored without their weights), read for tests and
// benchmarks.

#include <string>

namespace convlat::testing {

// The bytes of tests/fixtures/onnx/NAME.onnx. A fixture that cannot be read is a broken checkout:
// it throws, naming the path (GoogleTest fails the test with the message).
std::string OnnxFixture(const std::string& name);

}  // namespace convlat::testing
