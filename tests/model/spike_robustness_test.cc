// Issue 14's goal: a sweep with 15 % of its configurations disturbed by 10x spikes yields served
// models whose predictions stay within 5 % (median over the quick sweep's layers) of the clean fit.
//
// The clean data are real measurements (data/measurements/cpu-epyc-2core/default-sweep.csv:
// 1,137 convolutions and 682 other ops timed by convlat's agent). The spikes are SYNTHETIC, put in
// by this unit test of the fitting code with a fixed seed: 15 % of the convolutions and 15 % of
// the ops get median, min, p10 and p90 multiplied by 10, as a configuration timed while another
// job held the cores; either anywhere in the sweep, or among its fastest configurations, which
// interference hits hardest (a context switch is nothing to a 10 ms layer and everything to a
// 10 µs one). With the robust loss switched off (RobustFitOptions::reweightings = 0), the plain
// relative fit met the goal with spikes anywhere (1.4 % convolutions, 1.4 % ops, 3.0 %
// activations) but not with spikes on the fastest (2.2 %, 4.0 %, 7.7 %); robust: 0.8 / 1.4 / 0.8 %
// and 0.6 / 1.8 / 1.8 %.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>

#include <gtest/gtest.h>

#include "model/datasets/measurements_csv.h"
#include "model/serving_model.h"
#include "model/sweeps/sweeps.h"

namespace convlat::model {
namespace {

constexpr double kSpikedShare = 0.15;
constexpr double kSpike = 10;
constexpr double kGoal = 0.05;  // median relative difference from the clean fit

std::vector<v1::Measurement> DefaultSweep() {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/default-sweep.csv";
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ParseMeasurementsCsv(in, path, "test");
  EXPECT_TRUE(measurements.ok()) << measurements.status();
  return measurements.ok() ? *measurements : std::vector<v1::Measurement>{};
}

// SplitMix64: a fixed, portable pseudo-random order (std::shuffle's is the library's own).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// SYNTHETIC spikes: 15 % of the convolutions and 15 % of the ops, chosen by seed, 10x slower.
// `flag_noisy` also marks them as the agent would when their spread stayed wide.
std::vector<v1::Measurement> WithSpikes(std::vector<v1::Measurement> measurements, bool flag_noisy, int* spiked,
                                        bool fastest_only = false) {
  for (const bool ops : {false, true}) {
    std::vector<size_t> indices;
    for (size_t i = 0; i < measurements.size(); ++i) {
      if (measurements[i].has_op() == ops) indices.push_back(i);
    }
    const size_t count = static_cast<size_t>(std::lround(kSpikedShare * static_cast<double>(indices.size())));
    if (fastest_only) {
      std::sort(indices.begin(), indices.end(), [&](size_t a, size_t b) {
        return measurements[a].latency().median_us() < measurements[b].latency().median_us();
      });
      indices.resize(2 * count);
    }
    std::sort(indices.begin(), indices.end(), [](size_t a, size_t b) { return Mix(a ^ 14) < Mix(b ^ 14); });
    indices.resize(count);
    for (size_t i : indices) {
      v1::LatencyStats& latency = *measurements[i].mutable_latency();
      latency.set_median_us(latency.median_us() * kSpike);
      latency.set_min_us(latency.min_us() * kSpike);
      latency.set_p10_us(latency.p10_us() * kSpike);
      latency.set_p90_us(latency.p90_us() * kSpike);
      measurements[i].set_noisy(flag_noisy);
      ++*spiked;
    }
  }
  return measurements;
}

double MedianRelativeDifference(size_t count, const std::function<double(size_t)>& clean,
                                const std::function<double(size_t)>& spiky) {
  std::vector<double> differences;
  for (size_t i = 0; i < count; ++i) differences.push_back(std::abs(spiky(i) / clean(i) - 1));
  std::nth_element(differences.begin(), differences.begin() + differences.size() / 2, differences.end());
  return differences[differences.size() / 2];
}

struct Differences {
  double convs = 0;
  double ops = 0;
  double activations = 0;
};

// The two serving models' predictions over the quick sweep's layers, compared.
Differences Compare(const ServingModel& clean, const ServingModel& spiky) {
  absl::StatusOr<Sweep> quick = ResolveSweep("quick");
  EXPECT_TRUE(quick.ok()) << quick.status();
  if (!quick.ok() || !clean.ops || !spiky.ops) return {1, 1, 1};
  Differences out;
  out.convs = MedianRelativeDifference(
      quick->convs.size(), [&](size_t i) { return clean.conv->Predict(ResolveConvShape(quick->convs[i])).latency_us; },
      [&](size_t i) { return spiky.conv->Predict(ResolveConvShape(quick->convs[i])).latency_us; });
  out.ops = MedianRelativeDifference(
      quick->ops.size(), [&](size_t i) { return clean.ops->Predict(quick->ops[i]).latency_us; },
      [&](size_t i) { return spiky.ops->Predict(quick->ops[i]).latency_us; });
  std::vector<v1::OpParams> activations;
  for (const v1::OpParams& op : quick->ops) {
    if (op.kind() == v1::OP_KIND_ACTIVATION) activations.push_back(op);
  }
  EXPECT_FALSE(activations.empty());
  out.activations = MedianRelativeDifference(
      activations.size(), [&](size_t i) { return clean.ops->Predict(activations[i]).latency_us; },
      [&](size_t i) { return spiky.ops->Predict(activations[i]).latency_us; });
  return out;
}

// Fits the clean sweep and the sweep with spikes, and compares their predictions.
Differences FitAndCompare(bool flag_noisy, bool fastest_only, int* spiked, ServingModel* spiky_model = nullptr) {
  const std::vector<v1::Measurement> measurements = DefaultSweep();
  EXPECT_FALSE(measurements.empty());
  const std::vector<v1::Measurement> spiky = WithSpikes(measurements, flag_noisy, spiked, fastest_only);
  absl::StatusOr<ServingModel> clean_fit = FitServingModel(measurements, {.compute_units = 2});
  absl::StatusOr<ServingModel> spiky_fit = FitServingModel(spiky, {.compute_units = 2});
  EXPECT_TRUE(clean_fit.ok()) << clean_fit.status();
  EXPECT_TRUE(spiky_fit.ok()) << spiky_fit.status();
  if (!clean_fit.ok() || !spiky_fit.ok()) return {1, 1, 1};
  const Differences d = Compare(*clean_fit, *spiky_fit);
  std::cout << "median relative difference from the clean fit over the quick sweep"
            << (flag_noisy ? " (flagged noisy)" : "") << (fastest_only ? " (spikes on the fastest)" : "")
            << ": convolutions " << 100 * d.convs << " %, ops " << 100 * d.ops << " %, activations "
            << 100 * d.activations << " %\n";
  if (spiky_model) *spiky_model = *std::move(spiky_fit);
  return d;
}

TEST(SpikeRobustnessTest, TenfoldSpikesInFifteenPercentMoveThePredictionsLessThanFivePercent) {
  int spiked = 0;
  const Differences d = FitAndCompare(/*flag_noisy=*/false, /*fastest_only=*/false, &spiked);
  EXPECT_EQ(spiked, 171 + 102);  // 15 % of 1,137 convolutions and of 682 ops
  EXPECT_LE(d.convs, kGoal);
  EXPECT_LE(d.ops, kGoal);
  EXPECT_LE(d.activations, kGoal);
}

// The plain relative fit fails this one (activations 7.7 %): what the robust loss is for.
TEST(SpikeRobustnessTest, SpikesOnTheFastestConfigurationsToo) {
  int spiked = 0;
  ServingModel spiky;
  const Differences d = FitAndCompare(/*flag_noisy=*/false, /*fastest_only=*/true, &spiked, &spiky);
  EXPECT_LE(d.convs, kGoal);
  EXPECT_LE(d.ops, kGoal);
  EXPECT_LE(d.activations, kGoal);
  // The op fits say how many samples the robust loss left out.
  ASSERT_TRUE(spiky.ops.has_value());
  EXPECT_GT(spiky.ops->parameters().at("op.all.outliers"), 0);
}

// The same spikes flagged noisy by the agent: left out, since the clean ones are many.
TEST(SpikeRobustnessTest, SpikesFlaggedNoisyAreLeftOut) {
  int spiked = 0;
  ServingModel flagged;
  const Differences d = FitAndCompare(/*flag_noisy=*/true, /*fastest_only=*/false, &spiked, &flagged);
  EXPECT_EQ(flagged.noisy_left_out, spiked);
  EXPECT_EQ(flagged.noisy_down_weighted, 0);
  EXPECT_LE(d.convs, kGoal);
  EXPECT_LE(d.ops, kGoal);
}

}  // namespace
}  // namespace convlat::model
