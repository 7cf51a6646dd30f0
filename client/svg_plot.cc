#include "client/svg_plot.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convlat::client {
namespace {

constexpr double kWidth = 900, kHeight = 480, kLeft = 70, kRight = 250, kTop = 40, kBottom = 50;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string RenderSvgPlot(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<PlotSeries>& series) {
  double x_min = 1e300, x_max = -1e300, y_max = 0;
  for (const PlotSeries& s : series) {
    for (const auto& [x, y] : s.xy) {
      x_min = std::min(x_min, x), x_max = std::max(x_max, x), y_max = std::max(y_max, y);
    }
  }
  if (x_max <= x_min) x_max = x_min + 1;
  if (y_max <= 0) y_max = 1;
  y_max *= 1.05;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_max * plot_h; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"22\" font-size=\"14\">%s</text>\n", kLeft, Escape(title));
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n",
                        kLeft, kTop, plot_w, plot_h);
  for (int tick = 0; tick <= 5; ++tick) {
    const double x = x_min + (x_max - x_min) * tick / 5, y = y_max * tick / 5;
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", px(x),
                          kTop + plot_h + 16, x);
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", kLeft - 6, py(y) + 4,
                          y);
    absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", kLeft,
                          kLeft + plot_w, py(y), py(y));
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", kLeft + plot_w / 2,
                        kHeight - 12, Escape(x_label));
  absl::StrAppendFormat(
      &svg, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">%s</text>\n",
      kTop + plot_h / 2, kTop + plot_h / 2, Escape(y_label));
  for (size_t i = 0; i < series.size(); ++i) {
    const PlotSeries& s = series[i];
    if (s.points) {
      for (const auto& [x, y] : s.xy) {
        absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n", px(x), py(y), s.color);
      }
    } else {
      std::string path;
      for (const auto& [x, y] : s.xy)
        absl::StrAppendFormat(&path, "%s%.1f,%.1f", path.empty() ? "M" : " L", px(x), py(y));
      absl::StrAppendFormat(&svg, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"/>\n", path, s.color);
    }
    const double legend_y = kTop + 16 + 20 * i;
    absl::StrAppendFormat(&svg, "<rect x=\"%.0f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>\n",
                          kWidth - kRight + 12, legend_y - 4, s.color);
    absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.1f\">%s</text>\n", kWidth - kRight + 32, legend_y,
                          Escape(s.label));
  }
  return svg + "</svg>\n";
}

}  // namespace convlat::client
