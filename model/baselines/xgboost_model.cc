#include "model/baselines/xgboost_model.h"

#include <xgboost/c_api.h>

#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

constexpr int kFeatures = 15;

std::array<float, kFeatures> RawFeatures(const ConvShape& s) {
  const ConvFeatures f = ComputeFeatures(s);
  return {float(s.n),      float(s.c),     float(s.h),        float(s.w),     float(s.k),
          float(s.r),      float(s.s),     float(s.stride_h), float(s.pad_h), float(s.dilation_h),
          float(s.groups), float(s.dtype), float(s.layout),   float(f.flops), float(f.bytes())};
}

absl::Status XgbStatus(int code, const char* what) {
  if (code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("xgboost ", what, ": ", XGBGetLastError()));
}

// Owns a DMatrix for the duration of a scope.
class Matrix {
 public:
  Matrix(const std::vector<float>& values, size_t rows) {
    status_ = XgbStatus(XGDMatrixCreateFromMat(values.data(), rows, kFeatures, NAN, &handle_), "DMatrix");
  }
  ~Matrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle handle() const { return handle_; }
  const absl::Status& status() const { return status_; }

 private:
  DMatrixHandle handle_ = nullptr;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<XgboostModel>> XgboostModel::Fit(const std::vector<Sample>& samples,
                                                                TreeEnsemble ensemble) {
  std::vector<float> values, labels;
  for (const Sample& sample : samples) {
    if (!(sample.latency_us > 0)) continue;
    const auto row = RawFeatures(sample.shape);
    values.insert(values.end(), row.begin(), row.end());
    labels.push_back(static_cast<float>(std::log(sample.latency_us)));
  }
  if (labels.size() < 2) return absl::FailedPreconditionError("the tree ensemble needs at least 2 measurements");
  Matrix train(values, labels.size());
  if (!train.status().ok()) return train.status();
  if (absl::Status s =
          XgbStatus(XGDMatrixSetFloatInfo(train.handle(), "label", labels.data(), labels.size()), "labels");
      !s.ok()) {
    return s;
  }
  BoosterHandle booster = nullptr;
  DMatrixHandle matrices[] = {train.handle()};
  if (absl::Status s = XgbStatus(XGBoosterCreate(matrices, 1, &booster), "create"); !s.ok()) return s;
  std::unique_ptr<XgboostModel> model(new XgboostModel(booster, ensemble));
  // nn-Meter-like settings; the random forest is XGBoost's documented RF recipe.
  // One thread and histogram splits: with XGBoost 1.7's defaults (exact greedy splits, a thread per
  // core) the 10k-layer Justus M60 fit took 1,716 s on the shared 2-core VM, most of it OpenMP
  // threads waiting for each other at the per-node barriers while other processes held the cores;
  // hist is XGBoost 2's default and one thread never waits (docs/accuracy.md).
  std::vector<std::pair<const char*, const char*>> params = {
      {"objective", "reg:squarederror"}, {"verbosity", "0"}, {"seed", "1"}, {"nthread", "1"}, {"tree_method", "hist"}};
  int rounds = 400;
  if (ensemble == TreeEnsemble::kGradientBoosted) {
    params.insert(params.end(), {{"max_depth", "6"}, {"eta", "0.05"}, {"subsample", "0.8"}, {"min_child_weight", "1"}});
  } else {
    params.insert(params.end(), {{"max_depth", "12"},
                                 {"eta", "1"},
                                 {"subsample", "0.8"},
                                 {"colsample_bynode", "0.8"},
                                 {"num_parallel_tree", "100"},
                                 {"lambda", "0"}});
    rounds = 1;
  }
  for (const auto& [name, value] : params) {
    if (absl::Status s = XgbStatus(XGBoosterSetParam(booster, name, value), name); !s.ok()) return s;
  }
  for (int round = 0; round < rounds; ++round) {
    if (absl::Status s = XgbStatus(XGBoosterUpdateOneIter(booster, round, train.handle()), "train"); !s.ok()) return s;
  }
  return model;
}

XgboostModel::~XgboostModel() { XGBoosterFree(booster_); }

Prediction XgboostModel::Predict(const ConvShape& shape) const {
  const auto row = RawFeatures(shape);
  Prediction prediction;
  prediction.explanation.set_model_kind(kind());
  Matrix matrix(std::vector<float>(row.begin(), row.end()), 1);
  bst_ulong length = 0;
  const float* result = nullptr;
  if (matrix.status().ok() && XGBoosterPredict(booster_, matrix.handle(), 0, 0, 0, &length, &result) == 0 &&
      length == 1) {
    prediction.latency_us = std::exp(result[0]);
  }
  return prediction;
}

std::string XgboostModel::kind() const {
  return ensemble_ == TreeEnsemble::kGradientBoosted ? "xgboost-gbdt" : "random-forest";
}

std::map<std::string, double> XgboostModel::parameters() const { return {}; }

}  // namespace convlat::model
