#pragma once
// A plain HTTP/1.0 GET on 127.0.0.1, for tests that read /metrics or Prometheus' API.

#include <string>

namespace convlat::testing {

// The whole response (status line, headers and body); empty when nothing answers on `port`.
std::string HttpGet(int port, const std::string& path);

}  // namespace convlat::testing
