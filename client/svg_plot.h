#pragma once
// Minimal SVG plots for docs/ without a plotting library: line/scatter plots on linear or log
// axes (ticks, labels, legend, marked x positions) and a heatmap with a colour scale.

#include <string>
#include <vector>

namespace convlat::client {

struct PlotSeries {
  std::string label;
  std::string color;    // CSS colour
  bool points = false;  // scatter (measurements) rather than a line (models)
  std::vector<std::pair<double, double>> xy;
  bool dashed = false;  // a reference line (y = x, a ±10 % band) rather than data
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;  // decades as ticks; points at or below 0 are left out
  bool log_y = false;
  bool y_from_zero = true;  // linear y: start the axis at 0 (latency), not at the smallest value
  // Vertical dotted lines at these x (e.g. where the predicted kernel changes), one legend entry.
  std::vector<double> x_marks;
  std::string x_marks_label;
};

std::string RenderSvgPlot(const PlotOptions& options, const std::vector<PlotSeries>& series);
// Linear axes from 0, no marks (the CPU staircase plot of convlat-eval --plot).
std::string RenderSvgPlot(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<PlotSeries>& series);

// A matrix as coloured cells with row and column labels, each value written in its cell; the
// colour runs from the smallest value (light) to the largest (dark). NaN cells stay blank.
struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  std::vector<std::vector<double>> values;  // values[row][column]
  std::string value_label;                  // what the colour scale shows, e.g. "MAPE %"
  std::string row_axis_label;               // e.g. "trained on"
  std::string column_axis_label;            // e.g. "predicting"
  int decimals = 1;                         // of the values written in the cells and on the scale
};
std::string RenderSvgHeatmap(const Heatmap& heatmap);

}  // namespace convlat::client
