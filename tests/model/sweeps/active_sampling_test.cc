#include "model/sweeps/active_sampling.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/eval/evaluation.h"
#include "model/sweeps/sweep_planner.h"
#include "model/sweeps/sweeps.h"

namespace convlat::model {
namespace {

TEST(ActiveSamplingTest, WithoutMeasurementsPicksSpreadOutDistinctCandidates) {
  const std::vector<v1::ConvParams> quick = *NamedSweep("quick");
  std::vector<ConvShape> shapes;
  for (const v1::ConvParams& p : quick) shapes.push_back(ResolveConvShape(p));
  const std::vector<size_t> picked = ChooseInformative(shapes, {}, 10, {}, 1);
  ASSERT_EQ(picked.size(), 10u);
  EXPECT_EQ(std::set<size_t>(picked.begin(), picked.end()).size(), 10u);
}

TEST(ActiveSamplingTest, ActiveOrderPlansTheSameConfigsAsTheListedOrder) {
  v1::SweepPlan listed = PlanFromCandidates(*NamedSweep("quick"), {}, {.order = v1::SWEEP_ORDER_LISTED});
  v1::SweepPlan active = PlanFromCandidates(*NamedSweep("quick"), {}, {.order = v1::SWEEP_ORDER_ACTIVE});
  ASSERT_EQ(listed.configs_size(), active.configs_size());
  std::multiset<std::string> a, b;
  for (const auto& c : listed.configs()) a.insert(c.SerializeAsString());
  for (const auto& c : active.configs()) b.insert(c.SerializeAsString());
  EXPECT_EQ(a, b);
}

// With a fitted committee on real T4 measurements: the picks are distinct, come from the pool,
// and are deterministic for a seed.
TEST(ActiveSamplingTest, ChoosesFromACommitteeOnRealData) {
  const std::string path =
      DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
  ASSERT_TRUE(std::filesystem::exists(path)) << "public dataset not found at " << path;
  absl::StatusOr<NeuSightDataset> data = LoadNeuSightCsv(path);
  ASSERT_TRUE(data.ok());
  const SampleSplit split = SplitSamples(SamplesFromMeasurements(data->measurements), 0.9, 2);
  std::vector<ConvShape> pool;
  for (const Sample& s : split.test) pool.push_back(s.shape);
  const std::vector<size_t> first = ChooseInformative(pool, split.train, 50, HardwareOf(data->platform), 7);
  const std::vector<size_t> again = ChooseInformative(pool, split.train, 50, HardwareOf(data->platform), 7);
  EXPECT_EQ(first, again);
  EXPECT_EQ(std::set<size_t>(first.begin(), first.end()).size(), 50u);
  for (size_t i : first) EXPECT_LT(i, pool.size());
}

}  // namespace
}  // namespace convlat::model
