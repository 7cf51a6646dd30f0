#include "client/eval_transfer.h"

#include <cmath>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/client/svg_test_parser.h"

namespace convlat {
namespace {

// A synthetic two-target matrix as EvaluateTransfer lays it out: the heatmap shows the MAPE columns
// (0/25 target layers) and leaves the coverage column, on another scale, out.
TEST(EvalTransferTest, HeatmapShowsTheMapeColumnsOfEveryTarget) {
  model::TransferMatrix matrix{.rows = {"gpu-t4", "gpu-k40-justus"},
                               .columns = {"MAPE % at 0 layers", "MAPE % at 25 layers", "80 % interval coverage %"},
                               .values = {{19.4, 19.1, 94.5}, {48.0, std::nan(""), 32.3}},
                               .sources = {"gpu-k40-justus", "gpu-t4"},
                               .target_samples = {4969, 12459}};
  const std::string svg = TransferHeatmapSvg(matrix);
  const client::ParsedSvg parsed = client::ParseSvg(svg);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_EQ(parsed.classes.at("row"), 2);
  EXPECT_EQ(parsed.classes.at("column"), 2);
  EXPECT_EQ(parsed.classes.at("cell"), 3) << "one cell per MAPE value, none for the missing one";
  EXPECT_FALSE(absl::StrContains(svg, ">94.5<")) << "the coverage column is not a MAPE";
  EXPECT_TRUE(absl::StrContains(svg, ">48.0<"));
  EXPECT_TRUE(absl::StrContains(svg, ">0<"));
  EXPECT_TRUE(absl::StrContains(svg, ">25<"));
}

}  // namespace
}  // namespace convlat
