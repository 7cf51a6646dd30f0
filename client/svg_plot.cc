#include "client/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convlat::client {
namespace {

constexpr double kWidth = 1000, kHeight = 480, kLeft = 80, kRight = 340, kTop = 40, kBottom = 50;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string Header(double width, double height, const std::string& title) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.0f\" y=\"22\" font-size=\"14\">%s</text>\n",
      width, height, kLeft, Escape(title));
}

// One axis: maps values to [0, 1] (linear or log10) and proposes readable ticks.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;

  double Fraction(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
  // Log: every decade (and 2x, 5x when there are few); linear: 1, 2 or 5 times a power of ten.
  std::vector<double> Ticks() const {
    std::vector<double> ticks;
    if (log) {
      const int first = static_cast<int>(std::floor(std::log10(lo))),
                last = static_cast<int>(std::ceil(std::log10(hi)));
      const bool fine = last - first <= 2;
      for (int e = first; e <= last; ++e) {
        for (double m : {1.0, 2.0, 5.0}) {
          const double v = m * std::pow(10.0, e);
          if ((m == 1.0 || fine) && v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
        }
      }
      return ticks;
    }
    const double raw = (hi - lo) / 8, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (m * magnitude >= raw) {
        step = m * magnitude;
        break;
      }
    }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);  // never "-0"
    }
    return ticks;
  }
};

Axis AxisOver(double lo, double hi, bool log, bool from_zero) {
  if (!(lo <= hi)) lo = log ? 1 : 0, hi = log ? 10 : 1;
  if (log) {
    if (hi <= lo) hi = lo * 10;
    return {lo / 1.15, hi * 1.15, true};
  }
  if (from_zero) lo = std::min(lo, 0.0);
  if (hi <= lo) hi = lo + 1;
  const double pad = (hi - lo) * 0.05;
  return {from_zero && lo >= 0 ? lo : lo - pad, hi + pad, false};
}

// Whole numbers in full (10000, not 1e+04), others to 4 significant digits.
std::string TickText(double v) {
  return v == std::round(v) && std::abs(v) < 1e7 ? absl::StrFormat("%.0f", v) : absl::StrFormat("%.4g", v);
}

}  // namespace

std::string RenderSvgPlot(const PlotOptions& options, const std::vector<PlotSeries>& series) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  auto usable = [&](double x, double y) {
    return std::isfinite(x) && std::isfinite(y) && (!options.log_x || x > 0) && (!options.log_y || y > 0);
  };
  for (const PlotSeries& s : series) {
    for (const auto& [x, y] : s.xy) {
      if (!usable(x, y) || s.dashed) continue;  // reference lines follow the data, not the reverse
      x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
    }
  }
  const Axis ax = AxisOver(x_lo, x_hi, options.log_x, false);
  const Axis ay = AxisOver(y_lo, y_hi, options.log_y, options.y_from_zero);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + ax.Fraction(x) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - ay.Fraction(y) * plot_h; };
  auto inside = [&](double x, double y) {
    return usable(x, y) && x >= ax.lo && x <= ax.hi && y >= ay.lo && y <= ay.hi;
  };

  std::string svg = Header(kWidth, kHeight, options.title);
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n",
                        kLeft, kTop, plot_w, plot_h);
  for (double x : ax.Ticks()) {
    absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#eee\"/>\n", px(x),
                          px(x), kTop, kTop + plot_h);
    absl::StrAppendFormat(&svg, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px(x),
                          kTop + plot_h + 16, TickText(x));
  }
  for (double y : ay.Ticks()) {
    absl::StrAppendFormat(&svg, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", kLeft,
                          kLeft + plot_w, py(y), py(y));
    absl::StrAppendFormat(&svg, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", kLeft - 6,
                          py(y) + 4, TickText(y));
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", kLeft + plot_w / 2,
                        kHeight - 12, Escape(options.x_label));
  absl::StrAppendFormat(
      &svg, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">%s</text>\n",
      kTop + plot_h / 2, kTop + plot_h / 2, Escape(options.y_label));
  int legend = 0;
  // A swatch (a dot, a line, a dashed or dotted line) and the label, one row per entry.
  auto legend_entry = [&](const std::string& label, const std::string& color, bool point, const char* dash) {
    if (label.empty()) return;  // a series drawn without an entry of its own (the other half of a band)
    const double x = kWidth - kRight + 12, y = kTop + 16 + 20 * legend++;
    if (point) {
      absl::StrAppendFormat(&svg, "<circle cx=\"%.0f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x + 8, y, color);
    } else {
      absl::StrAppendFormat(
          &svg, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", x,
          x + 16, y, y, color, dash);
    }
    absl::StrAppendFormat(&svg, "<text class=\"legend\" x=\"%.0f\" y=\"%.1f\">%s</text>\n", x + 22, y + 4,
                          Escape(label));
  };
  constexpr char kMarkColor[] = "#2ca02c", kMarkDash[] = " stroke-dasharray=\"2,3\"",
                 kRefDash[] = " stroke-dasharray=\"6,4\"";
  for (double x : options.x_marks) {
    if (x < ax.lo || x > ax.hi) continue;
    absl::StrAppendFormat(&svg,
                          "<line class=\"mark\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\"%s/>\n",
                          px(x), px(x), kTop, kTop + plot_h, kMarkColor, kMarkDash);
  }
  if (!options.x_marks.empty()) legend_entry(options.x_marks_label, kMarkColor, false, kMarkDash);
  for (const PlotSeries& s : series) {
    if (s.points) {
      for (const auto& [x, y] : s.xy) {
        if (!inside(x, y)) continue;
        absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\" fill-opacity=\"0.7\"/>\n",
                              px(x), py(y), s.color);
      }
      legend_entry(s.label, s.color, true, "");
      continue;
    }
    std::string path;
    for (const auto& [x, y] : s.xy) {
      if (!usable(x, y)) continue;
      const double cx = std::clamp(px(x), kLeft, kLeft + plot_w), cy = std::clamp(py(y), kTop, kTop + plot_h);
      absl::StrAppendFormat(&path, "%s%.1f,%.1f", path.empty() ? "M" : " L", cx, cy);
    }
    const char* dash = s.dashed ? kRefDash : "";
    if (!path.empty()) {
      absl::StrAppendFormat(&svg, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>\n", path,
                            s.color, dash);
    }
    legend_entry(s.label, s.color, false, dash);
  }
  return svg + "</svg>\n";
}

std::string RenderSvgPlot(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<PlotSeries>& series) {
  return RenderSvgPlot(PlotOptions{.title = title, .x_label = x_label, .y_label = y_label}, series);
}

std::string RenderSvgHeatmap(const Heatmap& heatmap) {
  constexpr double kCell = 64, kCellH = 34, kLabelW = 150, kScaleW = 120;
  const size_t rows = heatmap.row_labels.size(), columns = heatmap.column_labels.size();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& row : heatmap.values) {
    for (double v : row) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  const double top = kTop + 30, left = kLabelW;
  // Wide enough for the title too (about 7.5 px a character at 14 px), which is often the longest line.
  const double width = std::max(left + kCell * columns + kScaleW, kLeft + 7.5 * heatmap.title.size() + 20),
               height = top + kCellH * rows + 40;
  // One format for every cell, so a column of numbers reads aligned (22.3, 19.0, not 22.3, 19.04).
  auto value_text = [&](double v) { return absl::StrFormat("%.*f", heatmap.decimals, v); };
  // Light yellow to dark red; the text turns white on dark cells.
  auto shade = [&](double v) { return hi > lo ? (v - lo) / (hi - lo) : 0.5; };
  auto colour = [](double t) {
    const int r = static_cast<int>(255 - 80 * t), g = static_cast<int>(245 - 215 * t),
              b = static_cast<int>(200 - 170 * t);
    return absl::StrFormat("rgb(%d,%d,%d)", r, g, b);
  };
  std::string svg = Header(width, height, heatmap.title);
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
                        left + kCell * columns / 2, kTop + 6, Escape(heatmap.column_axis_label));
  // Above the row labels, on the line of the column axis's label: the column labels' line is theirs.
  absl::StrAppendFormat(&svg, "<text x=\"12\" y=\"%.0f\">%s</text>\n", kTop + 6, Escape(heatmap.row_axis_label));
  for (size_t c = 0; c < columns; ++c) {
    absl::StrAppendFormat(&svg, "<text class=\"column\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
                          left + kCell * (c + 0.5), top - 8, Escape(heatmap.column_labels[c]));
  }
  for (size_t r = 0; r < rows; ++r) {
    const double y = top + kCellH * r;
    absl::StrAppendFormat(&svg, "<text class=\"row\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 8,
                          y + kCellH / 2 + 4, Escape(heatmap.row_labels[r]));
    for (size_t c = 0; c < columns; ++c) {
      const double v = r < heatmap.values.size() && c < heatmap.values[r].size()
                           ? heatmap.values[r][c]
                           : std::numeric_limits<double>::quiet_NaN();
      if (!std::isfinite(v)) continue;
      const double x = left + kCell * c;
      absl::StrAppendFormat(&svg,
                            "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" "
                            "stroke=\"white\"/>\n",
                            x, y, kCell, kCellH, colour(shade(v)));
      absl::StrAppendFormat(
          &svg, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
          x + kCell / 2, y + kCellH / 2 + 4, shade(v) > 0.6 ? "white" : "black", value_text(v));
    }
  }
  // The colour scale: a gradient from the smallest to the largest value, both written beside it.
  const double scale_x = left + kCell * columns + 24, scale_h = std::max(kCellH * rows, 60.0);
  svg += "<defs><linearGradient id=\"scale\" x1=\"0\" x2=\"0\" y1=\"1\" y2=\"0\">";
  for (double t : {0.0, 0.5, 1.0})
    absl::StrAppendFormat(&svg, "<stop offset=\"%.1f\" stop-color=\"%s\"/>", t, colour(t));
  svg += "</linearGradient></defs>\n";
  absl::StrAppendFormat(
      &svg, "<rect class=\"scale\" x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"%.0f\" fill=\"url(#scale)\"/>\n",
      scale_x, top, scale_h);
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", scale_x + 20, top + 10, value_text(hi));
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", scale_x + 20, top + scale_h, value_text(lo));
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", scale_x - 4, top - 8,
                        Escape(heatmap.value_label));
  return svg + "</svg>\n";
}

}  // namespace convlat::client
