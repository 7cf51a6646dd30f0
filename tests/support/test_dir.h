#pragma once
// A temporary folder of the running test's own.

#include <filesystem>

namespace convlat::testing {

// An empty folder in the test temporary directory, named after the running test suite and this
// process (ctest runs each test in a process of its own). The caller removes it.
std::filesystem::path FreshTestDir();

}  // namespace convlat::testing
