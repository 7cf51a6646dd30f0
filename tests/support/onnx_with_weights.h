#pragma once
// A network of tests/fixtures/onnx/ as its exporter wrote it, weights included: the fixtures are
// stored stripped, and what a user sends before stripping is this.

#include <string>

namespace convlat::testing {

// tests/fixtures/onnx/NAME.onnx with every float initializer given its full size of data
// (zeros: only the size matters). Fails the test when the fixture cannot be read.
std::string FixtureWithWeights(const std::string& name);

}  // namespace convlat::testing
