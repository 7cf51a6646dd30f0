// The two-mode model's predictions, pinned: speed work on the prediction path (the correction's
// tree layout, features shared between the classifier, staircases and correction, how the
// explanation is built) must not move a single prediction. The model is fitted on every layer of
// the public T4 (kernel names: classifier, staircases per kernel, correction) and GTX 1080 Ti
// (no kernel names: latent groups) sets, and a spread of their layers is predicted and compared
// with tests/fixtures/pinned/two_mode_predictions.tsv (relative difference < 1e-12, texts equal).
//
// A change meant to move predictions (a new fit, new features) rewrites the file:
//   CONVLAT_WRITE_PINNED_PREDICTIONS=1 build/tests/model/two_mode/model_two_mode_test
//       --gtest_filter='PinnedPredictions*'
// (one command line)
// and the diff of the file shows what moved.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

const std::string kPinnedFile = std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/pinned/two_mode_predictions.tsv";

struct PinnedPlatform {
  std::string name;
  std::vector<Sample> samples;
  HardwareInfo hardware;
  size_t every;  // every how many layers one is pinned
};

std::vector<PinnedPlatform> Platforms() {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  std::vector<PinnedPlatform> platforms;
  if (absl::StatusOr<NeuSightDataset> t4 = LoadNeuSightCsv(dir + "/neusight-conv3x3/Tesla_T4.csv"); t4.ok()) {
    platforms.push_back({"t4", SamplesFromMeasurements(t4->measurements), HardwareOf(t4->platform), 10});
  }
  if (absl::StatusOr<JustusDataset> ti = LoadJustusCsv(dir + "/justus-conv/GTX_1080_Ti.csv"); ti.ok()) {
    platforms.push_back({"1080ti", SamplesFromMeasurements(ti->measurements), HardwareOf(ti->platform), 40});
  }
  return platforms;
}

// Every field of ConvShape, so a pinned line predicts the same layer whatever order the samples come in.
std::string ShapeField(const ConvShape& s) {
  return absl::StrJoin({s.n, s.c, s.h, s.w, s.k, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h,
                        s.dilation_w, s.groups, int64_t{s.dtype}, int64_t{s.layout}, int64_t{s.math_mode}},
                       ",");
}

ConvShape ParseShapeField(const std::string& field) {
  std::vector<int64_t> v;
  for (absl::string_view part : absl::StrSplit(field, ',')) {
    int64_t value = 0;
    EXPECT_TRUE(absl::SimpleAtoi(part, &value)) << field;
    v.push_back(value);
  }
  if (v.size() != 17) {
    ADD_FAILURE() << "a shape has 17 fields: " << field;
    return {};
  }
  return {v[0],
          v[1],
          v[2],
          v[3],
          v[4],
          v[5],
          v[6],
          v[7],
          v[8],
          v[9],
          v[10],
          v[11],
          v[12],
          v[13],
          static_cast<v1::DataType>(v[14]),
          static_cast<v1::Layout>(v[15]),
          static_cast<v1::MathMode>(v[16])};
}

// The numbers of a prediction, and its texts, as one tab-separated tail of a line.
std::vector<double> Numbers(const Prediction& p) {
  const v1::Explanation& e = p.explanation;
  return {p.latency_us, e.correction(), e.compute_share(), e.memory_share(), e.flops(), e.bytes()};
}
std::vector<std::string> Texts(const Prediction& p) {
  const v1::Explanation& e = p.explanation;
  return {e.model_kind(),
          e.kernel(),
          e.kernel_family(),
          e.work_mapping(),
          e.tile(),
          e.work_mapping_source(),
          absl::StrCat(e.ctas()),
          absl::StrCat(e.waves())};
}

std::string Line(const std::string& platform, const ConvShape& shape, const Prediction& p) {
  std::vector<std::string> fields = {platform, ShapeField(shape)};
  for (double v : Numbers(p)) fields.push_back(absl::StrFormat("%.17g", v));
  for (std::string& t : Texts(p)) fields.push_back(std::move(t));
  return absl::StrJoin(fields, "\t");
}

TEST(PinnedPredictionsTest, TwoModePredictionsAreThePinnedOnes) {
  std::map<std::string, std::unique_ptr<TwoModeModel>> models;
  std::vector<std::string> written;
  for (const PinnedPlatform& platform : Platforms()) {
    absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(platform.samples, platform.hardware);
    ASSERT_TRUE(model.ok()) << platform.name << ": " << model.status();
    for (size_t i = 0; i < platform.samples.size(); i += platform.every) {
      const ConvShape& shape = platform.samples[i].shape;
      written.push_back(Line(platform.name, shape, (*model)->Predict(shape)));
    }
    models[platform.name] = *std::move(model);
  }
  ASSERT_EQ(models.size(), 2u) << "public datasets not found under data/public";

  if (std::getenv("CONVLAT_WRITE_PINNED_PREDICTIONS") != nullptr) {
    std::filesystem::create_directories(std::filesystem::path(kPinnedFile).parent_path());
    std::ofstream out(kPinnedFile);
    for (const std::string& line : written) out << line << "\n";
    GTEST_SKIP() << "wrote " << written.size() << " pinned predictions to " << kPinnedFile;
  }

  std::ifstream in(kPinnedFile);
  ASSERT_TRUE(in) << kPinnedFile << " is missing";
  std::string line;
  int compared = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = absl::StrSplit(line, '\t');
    ASSERT_EQ(fields.size(), 2 + 6 + 8u) << line;
    ASSERT_TRUE(models.contains(fields[0])) << line;
    const Prediction p = models[fields[0]]->Predict(ParseShapeField(fields[1]));
    const std::vector<double> numbers = Numbers(p);
    for (size_t j = 0; j < numbers.size(); ++j) {
      double pinned = 0;
      ASSERT_TRUE(absl::SimpleAtod(fields[2 + j], &pinned)) << line;
      EXPECT_LE(std::abs(numbers[j] - pinned), 1e-12 * std::abs(pinned)) << "number " << j << " of " << line;
    }
    const std::vector<std::string> texts = Texts(p);
    for (size_t j = 0; j < texts.size(); ++j) EXPECT_EQ(texts[j], fields[8 + j]) << "text " << j << " of " << line;
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(written.size()));
}

}  // namespace
}  // namespace convlat::model
