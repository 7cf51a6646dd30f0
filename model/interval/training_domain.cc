#include "model/interval/training_domain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/layers/conv_spec.h"

namespace convlat::model {
namespace {

constexpr const char* kSizeNames[] = {"n", "c", "k", "output pixels"};
constexpr const char* kGroupKindNames[] = {"dense", "depthwise", "grouped"};

template <typename T>
void AddOnce(std::vector<T>& set, const T& value) {
  if (std::find(set.begin(), set.end(), value) == set.end()) set.push_back(value);
}

template <typename T>
bool Contains(const std::vector<T>& set, const T& value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// "3x3, 1x1 and 2 more": the measured values a user compares theirs with, kept short.
std::string Listed(std::vector<std::pair<int64_t, int64_t>> pairs) {
  std::sort(pairs.begin(), pairs.end());
  constexpr size_t kShown = 4;
  std::vector<std::string> shown;
  for (size_t i = 0; i < pairs.size() && i < kShown; ++i)
    shown.push_back(absl::StrCat(pairs[i].first, "x", pairs[i].second));
  std::string out = absl::StrJoin(shown, ", ");
  if (pairs.size() > kShown) absl::StrAppend(&out, " and ", pairs.size() - kShown, " more");
  return out;
}

}  // namespace

std::array<double, TrainingDomain::kSizes> TrainingDomain::SizesOf(const ConvShape& shape) {
  return {static_cast<double>(shape.n), static_cast<double>(shape.c / shape.groups),
          static_cast<double>(shape.k / shape.groups), static_cast<double>(shape.p() * shape.q())};
}

TrainingDomain::GroupKind TrainingDomain::GroupKindOf(const ConvShape& shape) {
  if (shape.groups == 1) return kDense;
  return shape.groups == shape.c && shape.groups == shape.k ? kDepthwise : kGrouped;
}

TrainingDomain TrainingDomain::Of(std::span<const Sample> samples) {
  TrainingDomain domain;
  domain.Add(samples);
  return domain;
}

void TrainingDomain::Add(std::span<const Sample> samples) {
  for (const Sample& sample : samples) {
    if (!(sample.weight > 0)) continue;
    const ConvShape& s = sample.shape;
    const std::array<double, kSizes> sizes = SizesOf(s);
    if (empty_) {
      min_ = max_ = sizes;
      empty_ = false;
    }
    for (int i = 0; i < kSizes; ++i) {
      min_[i] = std::min(min_[i], sizes[i]);
      max_[i] = std::max(max_[i], sizes[i]);
    }
    AddOnce(filters_, Pair{s.r, s.s});
    AddOnce(strides_, Pair{s.stride_h, s.stride_w});
    AddOnce(dilations_, Pair{s.dilation_h, s.dilation_w});
    AddOnce(group_kinds_, GroupKindOf(s));
    AddOnce(dtypes_, s.dtype);
    AddOnce(layouts_, s.layout);
  }
}

bool TrainingDomain::MeasuredLayout(v1::Layout layout) const { return empty_ || Contains(layouts_, layout); }

std::string TrainingDomain::LayoutsMeasured() const {
  std::vector<std::string> names;
  for (v1::Layout layout : layouts_) names.push_back(LayoutName(layout));
  return absl::StrJoin(names, ", ");
}

std::string TrainingDomain::Outside(const ConvShape& shape) const {
  if (empty_) return {};
  // Every check once, without allocating; words are built only for a layer found outside.
  const std::array<double, kSizes> sizes = SizesOf(shape);
  const GroupKind group_kind = GroupKindOf(shape);
  const bool new_filter = !Contains(filters_, Pair{shape.r, shape.s});
  const bool new_stride = !Contains(strides_, Pair{shape.stride_h, shape.stride_w});
  const bool new_dilation = !Contains(dilations_, Pair{shape.dilation_h, shape.dilation_w});
  const bool new_grouping = !Contains(group_kinds_, group_kind);
  const bool new_dtype = !Contains(dtypes_, shape.dtype);
  std::array<int, kSizes> beyond{};  // +1 above the largest measured, -1 below the smallest
  bool outside = new_filter || new_stride || new_dilation || new_grouping || new_dtype;
  for (int i = 0; i < kSizes; ++i) {
    beyond[i] = sizes[i] > max_[i] * kSizeTolerance ? 1 : sizes[i] * kSizeTolerance < min_[i] ? -1 : 0;
    outside = outside || beyond[i] != 0;
  }
  if (!outside) return {};

  std::vector<std::string> reasons;
  if (new_filter)
    reasons.push_back(absl::StrCat("filter ", shape.r, "x", shape.s, " (measured: ", Listed(filters_), ")"));
  if (new_stride)
    reasons.push_back(
        absl::StrCat("stride ", shape.stride_h, "x", shape.stride_w, " (measured: ", Listed(strides_), ")"));
  if (new_dilation)
    reasons.push_back(
        absl::StrCat("dilation ", shape.dilation_h, "x", shape.dilation_w, " (measured: ", Listed(dilations_), ")"));
  if (new_grouping) {
    std::vector<std::string> measured;
    for (GroupKind k : group_kinds_) measured.push_back(kGroupKindNames[k]);
    reasons.push_back(absl::StrCat(kGroupKindNames[group_kind], " (measured: ", absl::StrJoin(measured, ", "), ")"));
  }
  if (new_dtype) {
    std::vector<std::string> measured;
    for (v1::DataType dtype : dtypes_) measured.push_back(v1::DataType_Name(dtype));
    reasons.push_back(absl::StrCat(v1::DataType_Name(shape.dtype), " (measured: ", absl::StrJoin(measured, ", "), ")"));
  }
  for (int i = 0; i < kSizes; ++i) {
    if (beyond[i] == 0) continue;
    // Channels are compared per group (what one group's GEMM reduces over and produces).
    const std::string name = shape.groups > 1 && (i == kChannels || i == kOutChannels)
                                 ? absl::StrCat(kSizeNames[i], "/groups")
                                 : kSizeNames[i];
    reasons.push_back(beyond[i] > 0
                          ? absl::StrFormat("%s=%.0f is %.1fx the largest measured (%.0f)", name, sizes[i],
                                            sizes[i] / max_[i], max_[i])
                          : absl::StrFormat("%s=%.0f is below the smallest measured (%.0f)", name, sizes[i], min_[i]));
  }
  return absl::StrJoin(reasons, "; ");
}

bool TrainingDomain::NewKind(const ConvShape& shape) const {
  return !empty_ &&
         (!Contains(filters_, Pair{shape.r, shape.s}) || !Contains(strides_, Pair{shape.stride_h, shape.stride_w}) ||
          !Contains(dilations_, Pair{shape.dilation_h, shape.dilation_w}) ||
          !Contains(group_kinds_, GroupKindOf(shape)) || !Contains(dtypes_, shape.dtype));
}

bool TrainingDomain::HasKindsBeyond(const TrainingDomain& other) const {
  auto beyond = [](const auto& mine, const auto& theirs) {
    return std::any_of(mine.begin(), mine.end(), [&theirs](const auto& kind) { return !Contains(theirs, kind); });
  };
  return !empty_ && (beyond(filters_, other.filters_) || beyond(strides_, other.strides_) ||
                     beyond(dilations_, other.dilations_) || beyond(group_kinds_, other.group_kinds_) ||
                     beyond(dtypes_, other.dtypes_));
}

std::map<std::string, double> TrainingDomain::parameters() const {
  std::map<std::string, double> out;
  if (empty_) return out;
  constexpr const char* kKeys[] = {"n", "c", "k", "output_pixels"};
  for (int i = 0; i < kSizes; ++i) {
    out[absl::StrCat("domain.", kKeys[i], ".min")] = min_[i];
    out[absl::StrCat("domain.", kKeys[i], ".max")] = max_[i];
  }
  out["domain.filters"] = static_cast<double>(filters_.size());
  out["domain.strides"] = static_cast<double>(strides_.size());
  return out;
}

Prediction DomainCheckedModel::Predict(const ConvShape& shape) const {
  Prediction prediction = model_->Predict(shape);
  if (std::string why = domain_.Outside(shape); !why.empty()) prediction.explanation.set_extrapolation(std::move(why));
  return prediction;
}

std::map<std::string, double> DomainCheckedModel::parameters() const {
  std::map<std::string, double> out = model_->parameters();
  out.merge(domain_.parameters());
  return out;
}

}  // namespace convlat::model
