#include "model/two_mode/two_mode_model.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "model/fit/robust_fit.h"
#include "model/layers/features.h"
#include "model/two_mode/grid_mapping.h"
#include "model/two_mode/kernel_name.h"

namespace convlat::model {
namespace {

constexpr char kPlatformWide[] = "";

std::string PooledName(const std::string& family) { return absl::StrCat("family:", family); }

constexpr char kLatentPrefix[] = "latent:";

// No kernel names: every sample carries the same label (TensorFlow's "tf1:conv2d", one CPU
// implementation) or none, and no launch grid.
bool NoKernelNames(const std::vector<Sample>& samples) {
  for (const Sample& sample : samples) {
    if (sample.observed_ctas > 0 || sample.kernel != samples.front().kernel) return false;
  }
  return true;
}

// The samples relabelled by latent kernel group; a group with too few layers for a staircase of
// its own is left to the platform-wide one.
std::vector<Sample> WithLatentGroups(const std::vector<Sample>& samples) {
  std::map<int, size_t> sizes;
  for (const Sample& sample : samples) ++sizes[LatentKernelGroup(sample.shape)];
  std::vector<Sample> relabelled = samples;
  for (Sample& sample : relabelled) {
    const int group = LatentKernelGroup(sample.shape);
    sample.kernel = sizes[group] >= TwoModeModel::kMinLatentGroupSamples ? absl::StrCat(kLatentPrefix, group) : "";
  }
  return relabelled;
}

}  // namespace

int LatentKernelGroup(const ConvShape& shape) {
  if (shape.groups > 1) return 4;
  const bool unit_stride = shape.stride_h == 1 && shape.stride_w == 1;
  if (shape.r == 1 && shape.s == 1) return unit_stride ? 1 : 2;
  if (MappingApplies(WorkMapping::kWinograd4x4, shape)) return 3;
  return unit_stride ? 5 : 6;
}

std::array<double, kKernelChoiceFeatures> KernelChoiceFeatures(const ConvShape& shape) {
  return KernelChoiceFeatures(shape, ComputeLogSizes(shape, ComputeFeatures(shape)));
}

std::array<double, kKernelChoiceFeatures> KernelChoiceFeatures(const ConvShape& shape, const ConvLogSizes& logs) {
  return {logs.n,
          logs.c,
          logs.h,
          logs.w,
          logs.k,
          double(shape.r),
          double(shape.s),
          double(shape.stride_h),
          double(shape.stride_w),
          double(shape.pad_h),
          double(shape.dilation_h),
          logs.groups,
          logs.gemm_m,
          logs.gemm_n,
          logs.gemm_k,
          logs.pq,
          double(shape.dtype),
          double(shape.layout),
          double(shape.math_mode)};
}

absl::StatusOr<std::unique_ptr<TwoModeModel>> TwoModeModel::Fit(const std::vector<Sample>& recorded,
                                                                const HardwareInfo& hardware) {
  if (recorded.size() < kMinSamples) {
    return absl::FailedPreconditionError(absl::StrCat("the two-mode model needs at least ", kMinSamples,
                                                      " successful measurements, got ", recorded.size()));
  }
  const bool latent = NoKernelNames(recorded);
  const std::vector<Sample> relabelled = latent ? WithLatentGroups(recorded) : std::vector<Sample>{};
  const std::vector<Sample>& samples = latent ? relabelled : recorded;
  // Group the samples by the kernel that ran; rare kernels are pooled by family, and what is
  // still too rare joins the platform-wide group, which every sample also trains.
  // Ordered maps: group order decides the classifier's labels, and fits must be reproducible.
  std::map<std::string, std::vector<const Sample*>> by_kernel;
  for (const Sample& sample : samples) by_kernel[sample.kernel].push_back(&sample);
  std::map<std::string, std::vector<const Sample*>> pooled;
  std::map<std::string, std::string> group_of_kernel;
  for (auto& [kernel, members] : by_kernel) {
    std::string group = kernel;
    if (!kernel.empty() && members.size() < kMinKernelSamples) {
      group = PooledName(KernelFamilyName(ParseKernelName(kernel).family));
    }
    group_of_kernel[kernel] = group;
    auto& into = pooled[group];
    into.insert(into.end(), members.begin(), members.end());
  }
  for (auto& [group, members] : pooled) {
    if (!group.empty() && members.size() < kMinKernelSamples) {
      for (auto& [kernel, target] : group_of_kernel) {
        if (target == group) target = kPlatformWide;
      }
    }
  }

  auto model = std::make_unique<TwoModeModel>();
  model->latent_groups_ = latent;
  std::map<std::string, int> group_index;
  std::vector<const Sample*> all;
  for (const Sample& sample : samples) all.push_back(&sample);
  auto add_group = [&](const std::string& name, std::span<const Sample* const> members) -> absl::Status {
    CostFitHints hints{.compute_units = hardware.compute_units,
                       .memory_bandwidth_gbps = hardware.memory_bandwidth_gbps};
    std::string family = "inferred";
    KernelMapping mapping;  // the name's tile, or one read off the kernel's grids (grid_mapping.h)
    if (name.starts_with(kLatentPrefix)) {
      family = absl::StrCat("latent kernel group ", name.substr(std::string(kLatentPrefix).size()),
                            " (no kernel names recorded)");
    } else if (!name.empty() && !name.starts_with("family:")) {
      mapping = ChooseKernelMapping(name, members);
      hints.tile = mapping.tile;
      family = KernelFamilyName(ParseKernelName(name).family);
    } else if (!name.empty()) {
      family = name.substr(std::string("family:").size());
    }
    std::optional<KernelCostModel> cost = KernelCostModel::Fit(members, hints);
    if (!cost) return absl::FailedPreconditionError(absl::StrCat("no cost model fits kernel group '", name, "'"));
    group_index[name] = static_cast<int>(model->groups_.size());
    const WorkDecomposition& d = cost->decomposition();
    model->groups_.push_back({name, family, *cost, members.size(), MappingSourceName(mapping.source),
                              WorkMappingName(d.mapping), CtaTileName(d.mapping, d.tile)});
    return absl::OkStatus();
  };
  // The platform-wide group first: it is the fallback for anything the others cannot take.
  if (absl::Status status = add_group(kPlatformWide, all); !status.ok()) return status;
  for (auto& [group, members] : pooled) {
    if (group.empty() || members.size() < kMinKernelSamples) continue;
    if (!add_group(group, members).ok()) {
      for (auto& [kernel, target] : group_of_kernel) {
        if (target == group) target = kPlatformWide;
      }
    }
  }

  for (const auto& [kernel, group] : group_of_kernel) model->group_of_kernel_[kernel] = group_index[group];
  if (model->groups_.size() > 1) {
    std::vector<std::vector<double>> features;
    std::vector<int> labels;
    for (const Sample& sample : samples) {
      const auto row = KernelChoiceFeatures(sample.shape);
      features.emplace_back(row.begin(), row.end());
      labels.push_back(group_index[group_of_kernel[sample.kernel]]);
    }
    model->classifier_ =
        DecisionTreeClassifier::Fit(features, labels, static_cast<int>(model->groups_.size()), DecisionTreeOptions{});
  }
  model->FitCorrection(samples);
  return model;
}

TwoModeModel::Layer TwoModeModel::Derive(const ConvShape& shape) const {
  Layer layer{shape, ComputeFeatures(shape), {}};
  // Ten log2s: only where a classifier or a correction reads them (small fits have neither).
  if (classifier_ || correction_) layer.logs = ComputeLogSizes(shape, layer.features);
  return layer;
}

std::array<double, kCorrectionFeatures> TwoModeModel::CorrectionInputs(const Layer& layer,
                                                                       const KernelChoice& chosen) const {
  return CorrectionFeatures(layer.shape, layer.features, layer.logs, chosen.group,
                            groups_[chosen.group].cost.decomposition(), chosen.cost);
}

// On what the staircases predict for the training layers, with the kernel choice the model makes
// (not the kernel that ran): the correction corrects the prediction as served.
void TwoModeModel::FitCorrection(const std::vector<Sample>& samples) {
  if (samples.size() < ResidualCorrection::kMinSamples) return;
  std::vector<double> features, log_residuals, weights;
  for (const Sample& sample : samples) {
    // With the log-sizes, which Derive leaves out while no correction exists: it is being fitted.
    Layer layer{sample.shape, ComputeFeatures(sample.shape), {}};
    layer.logs = ComputeLogSizes(sample.shape, layer.features);
    const KernelChoice chosen = ChooseKernel(layer);
    const double predicted = chosen.cost.total_us();
    if (!(predicted > 0) || !(sample.latency_us > 0)) continue;
    const auto row = CorrectionInputs(layer, chosen);
    features.insert(features.end(), row.begin(), row.end());
    log_residuals.push_back(std::log(sample.latency_us / predicted));
    weights.push_back(sample.weight);
  }
  // Spikes of a busy machine (10x) teach the trees nothing they should repeat: Tukey weights keep
  // them out, with a scale floor of 0.2 (cut beyond ~2.5x) so that effects the staircases miss by
  // tens of percent, what the correction is for, stay in.
  const std::vector<double> robust = TukeyWeights(log_residuals, weights, {.min_scale = 0.2});
  correction_ = ResidualCorrection::Fit(features, log_residuals, robust);
}

// The group whose kernel the library would run: among the groups the classifier's leaf finds
// plausible for the layer (at least kPlausibleShare of its training layers, or the majority), the
// fastest. cuDNN's autotuner, like the frameworks' benchmark mode, runs the fastest of its
// candidates, so near a switching boundary, where a leaf holds both kernels, the choice follows
// their costs rather than a hard threshold; kernels never seen near the layer are not considered,
// so no staircase is extrapolated far from its own data.
TwoModeModel::KernelChoice TwoModeModel::ChooseKernel(const Layer& layer) const {
  const ConvShape& shape = layer.shape;
  auto choice = [&](size_t group) { return KernelChoice{group, groups_[group].cost.Evaluate(shape, layer.features)}; };
  if (!classifier_) return choice(0);
  const DecisionTreeClassifier::Leaf leaf = classifier_->PredictLeaf(KernelChoiceFeatures(shape, layer.logs));
  const std::vector<double>& shares = leaf.shares;
  auto applies = [&](size_t group) { return MappingApplies(groups_[group].cost.decomposition().mapping, shape); };
  const size_t majority = static_cast<size_t>(leaf.label);
  std::optional<KernelChoice> fastest;
  if (applies(majority)) fastest = choice(majority);
  for (size_t group = 0; group < shares.size(); ++group) {
    if (group == majority || shares[group] < kPlausibleShare || !applies(group)) continue;
    KernelChoice candidate = choice(group);
    if (!fastest || candidate.cost.total_us() < fastest->cost.total_us()) fastest = candidate;
  }
  // A kernel that cannot run the layer (Winograd for a 1x1 or strided conv, learnt on 3x3 data)
  // is never the answer: the platform-wide staircase takes what no plausible kernel can run.
  return fastest ? *fastest : choice(0);
}

bool TwoModeModel::PredictsKernelGroupOf(const ConvShape& shape, const std::string& kernel) const {
  const auto it = group_of_kernel_.find(kernel);
  return it != group_of_kernel_.end() && it->second == ChooseKernel(Derive(shape)).group;
}

const std::string& TwoModeModel::PredictKernel(const ConvShape& shape) const {
  return groups_[ChooseKernel(Derive(shape)).group].name;
}

// The hot path of the server's queries (docs/performance.md, BM_PredictLayer): the layer's
// features and log-sizes once, the chosen kernel's cost already evaluated by the choice, the
// correction's trees walked flat (fit/flat_tree_ensemble.h), no allocation beyond the
// explanation's strings.
Prediction TwoModeModel::Predict(const ConvShape& shape) const {
  const Layer layer = Derive(shape);
  const KernelChoice chosen = ChooseKernel(layer);
  Prediction prediction = Explain(layer.features, chosen);
  if (correction_) {
    const double factor = correction_->Factor(CorrectionInputs(layer, chosen));
    prediction.latency_us *= factor;
    prediction.explanation.set_correction(factor);
  }
  return prediction;
}

LatencyParts TwoModeModel::PredictParts(const ConvShape& shape) const {
  const Layer layer = Derive(shape);
  const KernelChoice chosen = ChooseKernel(layer);
  LatencyParts parts{.latency_us = chosen.cost.total_us()};
  // The shares are the staircase's, as Explain gives them; the correction scales the whole.
  if (parts.latency_us > 0) {
    parts.compute_share = chosen.cost.compute_us / parts.latency_us;
    parts.memory_share = chosen.cost.memory_us / parts.latency_us;
  }
  if (correction_) parts.latency_us *= correction_->Factor(CorrectionInputs(layer, chosen));
  return parts;
}

std::optional<Prediction> TwoModeModel::PredictWithKernel(const ConvShape& shape, const std::string& kernel) const {
  const auto it = group_of_kernel_.find(kernel);
  if (it == group_of_kernel_.end()) return std::nullopt;
  const ConvFeatures f = ComputeFeatures(shape);
  return Explain(f, {it->second, groups_[it->second].cost.Evaluate(shape, f)});
}

Prediction TwoModeModel::Explain(const ConvFeatures& f, const KernelChoice& chosen) const {
  const KernelGroup& group = groups_[chosen.group];
  const KernelCostModel::Breakdown& cost = chosen.cost;
  Prediction prediction;
  prediction.latency_us = cost.total_us();
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind("two-mode");
  why.set_flops(f.flops);
  why.set_bytes(f.bytes());
  why.set_compute_share(prediction.latency_us > 0 ? cost.compute_us / prediction.latency_us : 0);
  why.set_memory_share(prediction.latency_us > 0 ? cost.memory_us / prediction.latency_us : 0);
  why.set_kernel_family(group.family);
  why.set_kernel(group.name);
  why.set_work_mapping(group.work_mapping);
  why.set_work_mapping_source(group.mapping_source);
  why.set_tile(group.tile);
  why.set_ctas(cost.ctas);
  why.set_waves(cost.waves);
  return prediction;
}

std::map<std::string, double> TwoModeModel::parameters() const {
  std::map<std::string, double> parameters;
  parameters["kernel_groups"] = static_cast<double>(groups_.size());
  if (classifier_) {
    parameters["classifier_depth"] = classifier_->depth();
    parameters["classifier_nodes"] = classifier_->node_count();
  }
  parameters["latent_groups"] = latent_groups_ ? 1 : 0;
  parameters["correction_trees"] = correction_ ? correction_->rounds() : 0;
  if (correction_) {
    parameters["correction.held_out_mape_without"] = correction_->check().mape_without;
    parameters["correction.held_out_mape_with"] = correction_->check().mape_with;
  }
  for (const KernelGroup& group : groups_) {
    const std::string prefix = group.name.empty() ? "platform" : group.name;
    const auto& b = group.cost.coefficients();
    const WorkDecomposition& d = group.cost.decomposition();
    parameters[prefix + ".samples"] = static_cast<double>(group.samples);
    parameters[prefix + ".tile_m"] = d.tile.m;
    parameters[prefix + ".tile_n"] = d.tile.n;
    parameters[prefix + ".concurrent_ctas"] = static_cast<double>(d.slots);
    parameters[prefix + ".fixed_us"] = b[KernelCostModel::kFixed];
    parameters[prefix + ".us_per_wave"] = b[KernelCostModel::kWaves];
    parameters[prefix + ".us_per_wave_step"] = b[KernelCostModel::kWaveSteps];
    parameters[prefix + ".us_per_streamed_step"] = b[KernelCostModel::kStreamedSteps];
    // Per-byte costs read as effective bandwidths (µs per byte → GB/s); 0 where the term is unused.
    const std::pair<const char*, int> bandwidths[] = {
        {".input_gbps", KernelCostModel::kInputBytes},
        {".output_gbps", KernelCostModel::kOutputBytes},
        {".filter_gbps", KernelCostModel::kFilterBytes},
        {".transformed_input_gbps", KernelCostModel::kTransformedInputBytes},
        {".transformed_output_gbps", KernelCostModel::kTransformedOutputBytes},
        {".transformed_filter_gbps", KernelCostModel::kTransformedFilterBytes}};
    for (const auto& [suffix, term] : bandwidths) parameters[prefix + suffix] = b[term] > 0 ? 1e-3 / b[term] : 0;
    parameters[prefix + ".grid_match_rate"] = group.cost.grid_match_rate();
    parameters[prefix + ".fit_rmspe"] = group.cost.fit_rmspe();
    parameters[prefix + ".outliers"] = group.cost.outliers();
    parameters[prefix + ".implausible_byte_terms"] = group.cost.implausible_byte_terms();
  }
  return parameters;
}

}  // namespace convlat::model
