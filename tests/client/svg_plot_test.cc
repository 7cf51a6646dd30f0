#include "client/svg_plot.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/client/svg_test_parser.h"

namespace convlat::client {
namespace {

int CountTexts(const ParsedSvg& svg, const std::string& text) {
  int count = 0;
  for (const std::string& t : svg.texts) count += t == text;
  return count;
}

TEST(SvgPlotTest, LogLogScatterHasItsPointsReferenceLinesTicksAndLegend) {
  PlotSeries measured{"model <A> & \"B\"", "#d62728", true, {{1, 1}, {10, 9}, {100, 130}, {1000, 1000}}};
  PlotSeries off_scale{"dropped", "#1f77b4", true, {{0, 5}, {-1, 2}, {50, 40}}};  // log axes drop x <= 0
  PlotSeries diagonal{"predicted = measured", "#222", false, {{1, 1}, {1000, 1000}}, true};
  const std::string svg = RenderSvgPlot(
      PlotOptions{
          .title = "T4 <held out>", .x_label = "measured (µs)", .y_label = "predicted", .log_x = true, .log_y = true},
      {measured, off_scale, diagonal});
  const ParsedSvg parsed = ParseSvg(svg);
  ASSERT_TRUE(parsed.well_formed) << parsed.error << "\n" << svg;
  EXPECT_EQ(parsed.elements.at("circle"), 4 + 1 + 2);  // the drawable points and two legend dots
  EXPECT_EQ(parsed.elements.at("path"), 1);
  EXPECT_TRUE(absl::StrContains(svg, "stroke-dasharray=\"6,4\""));
  EXPECT_EQ(parsed.classes.at("legend"), 3);
  EXPECT_EQ(CountTexts(parsed, "model <A> & \"B\""), 1);
  EXPECT_EQ(CountTexts(parsed, "T4 <held out>"), 1);
  // Decades 1 to 1000 on both axes.
  for (const char* tick : {"1", "10", "100", "1000"}) EXPECT_EQ(CountTexts(parsed, tick), 2) << tick;
  EXPECT_EQ(CountTexts(parsed, "measured (µs)"), 1);
}

TEST(SvgPlotTest, LinearAxesTickAtRoundNumbersAndMarkTheGivenPositions) {
  PlotSeries line{"staircase", "#d62728", false, {}};
  for (int k = 1; k <= 256; ++k) line.xy.push_back({double(k), 10.0 * std::ceil(k / 64.0)});
  const std::string svg = RenderSvgPlot(PlotOptions{.title = "k swept",
                                                    .x_label = "k",
                                                    .y_label = "latency (µs)",
                                                    .x_marks = {64.5, 128.5, 192.5, 1e6},
                                                    .x_marks_label = "kernel changes"},
                                        {line});
  const ParsedSvg parsed = ParseSvg(svg);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_EQ(parsed.classes.at("mark"), 3);  // the one beyond the axis is left out
  EXPECT_EQ(parsed.classes.at("legend"), 2);
  EXPECT_EQ(CountTexts(parsed, "kernel changes"), 1);
  // x: 0 to 250 in steps of 50; y: 0 to 40 in steps of 10 (latency axes start at 0).
  for (const char* tick : {"50", "100", "150", "200", "250", "10", "20", "30", "40"}) {
    EXPECT_EQ(CountTexts(parsed, tick), 1) << tick;
  }
  EXPECT_EQ(CountTexts(parsed, "0"), 2);
  EXPECT_GE(parsed.classes.at("tick"), 10);
}

// A synthetic 3 x 4 matrix (transfer MAPE: trained on a row's GPU, predicting a column's), one
// cell missing.
TEST(SvgPlotTest, HeatmapHasACellAndAValuePerEntryWithLabelsAndScale) {
  Heatmap heatmap{.title = "transfer MAPE %",
                  .row_labels = {"t4", "v100", "a100"},
                  .column_labels = {"t4", "v100", "a100", "k80"},
                  .values = {{8.1, 35, 60, 44}, {30, 7.5, 28, std::nan("")}, {55, 25, 6.2, 80}},
                  .value_label = "MAPE %",
                  .row_axis_label = "trained on",
                  .column_axis_label = "predicting"};
  const std::string svg = RenderSvgHeatmap(heatmap);
  const ParsedSvg parsed = ParseSvg(svg);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_EQ(parsed.classes.at("cell"), 11);
  EXPECT_EQ(parsed.classes.at("value"), 11);
  EXPECT_EQ(parsed.classes.at("row"), 3);
  EXPECT_EQ(parsed.classes.at("column"), 4);
  EXPECT_EQ(parsed.classes.at("scale"), 1);
  EXPECT_EQ(parsed.elements.at("stop"), 3);
  // One decimal everywhere (heatmap.decimals), so the numbers of a column line up.
  EXPECT_EQ(CountTexts(parsed, "80.0"), 2);  // the largest cell and the top of the scale
  EXPECT_EQ(CountTexts(parsed, "6.2"), 2);   // the smallest, and the bottom
  EXPECT_EQ(CountTexts(parsed, "35.0"), 1);
  EXPECT_EQ(CountTexts(parsed, "trained on"), 1);
  EXPECT_EQ(CountTexts(parsed, "predicting"), 1);
  // The largest value is drawn darkest, with white text.
  EXPECT_TRUE(absl::StrContains(svg, "fill=\"white\">80.0<"));
  EXPECT_TRUE(absl::StrContains(svg, "fill=\"black\">6.2<"));
}

// A title longer than the cells are wide widens the picture instead of running off its edge.
TEST(SvgPlotTest, HeatmapIsWideEnoughForItsTitle) {
  Heatmap heatmap{.title = std::string(150, 'x'), .row_labels = {"a"}, .column_labels = {"b"}, .values = {{1}}};
  const std::string svg = RenderSvgHeatmap(heatmap);
  double width = 0;
  ASSERT_EQ(std::sscanf(svg.c_str() + svg.find("width=\"") + 7, "%lf", &width), 1);
  EXPECT_GE(width, 150 * 7.0);
}

}  // namespace
}  // namespace convlat::client
