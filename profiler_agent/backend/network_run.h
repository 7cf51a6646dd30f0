#pragma once
// What running a whole network layer after layer measures, whichever library ran it (the oneDNN
// runner on CPUs, the GPU runner with cuDNN and the project's kernels).

#include <string>
#include <vector>

namespace convlat::agent {

struct NetworkRunLayer {
  std::string name;
  std::string op;
  std::string implementation;  // the library's (oneDNN's implementation, cuDNN's algorithm, the kernel)
  double median_us = 0;        // this layer's share of a pass
};

struct NetworkRun {
  double median_us = 0;  // one pass over every layer
  std::vector<NetworkRunLayer> layers;
  std::vector<std::string> skipped;  // "name: why", for layers the library cannot run here
};

}  // namespace convlat::agent
