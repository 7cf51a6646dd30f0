#pragma once
// A minimal SVG line/scatter plot, enough to show a latency staircase in docs without a
// plotting library.

#include <string>
#include <vector>

namespace convlat::client {

struct PlotSeries {
  std::string label;
  std::string color;    // CSS colour
  bool points = false;  // scatter (measurements) rather than a line (models)
  std::vector<std::pair<double, double>> xy;
};

std::string RenderSvgPlot(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<PlotSeries>& series);

}  // namespace convlat::client
