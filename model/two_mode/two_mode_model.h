#pragma once
// convlat's model: the two non-linear modes of GPU convolution latency.
//  1. Work quantization: each kernel's cost climbs in steps of CTA tiles and waves
//     (KernelCostModel, one per kernel the library was seen to pick).
//  2. Kernel switching: which kernel the library picks for a layer, learnt from the kernel
//     records as a small decision tree over the layer's parameters.
// A prediction is: tree → the kernels plausible for the layer → the fastest of their staircases. Kernels seen too
// rarely to fit on their own are pooled by family; layers whose kernel is unknown (CPU backends) use one platform-wide
// staircase whose tile and concurrency are inferred from the measurements.
// Without kernel names (TensorFlow timings, GPUs without CUPTI, CPU libraries naming one implementation) the layer
// parameters that drive the library's algorithm choice stand in for them: latent kernel groups (pointwise, 3x3
// unit-stride, grouped, other filters, strided), each with its own inferred staircase.
// With enough layers, a residual correction (residual_correction.h) multiplies the staircase where the model's own
// cross-validation finds that it helps.

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/fit/decision_tree.h"
#include "model/latency/latency_model.h"
#include "model/layers/features.h"
#include "model/two_mode/kernel_cost_model.h"
#include "model/two_mode/residual_correction.h"

namespace convlat::model {

class TwoModeModel final : public LatencyModel {
 public:
  static constexpr size_t kMinSamples = 12;
  // A kernel needs this many samples for a staircase of its own.
  static constexpr size_t kMinKernelSamples = 20;
  // A kernel group is a candidate for a layer when at least this share of the training layers in
  // the layer's classifier leaf ran it.
  static constexpr double kPlausibleShare = 0.1;
  // A latent kernel group needs this many layers for a staircase of its own (no names: a group
  // is only a guess from the layer's parameters, so it must be well supported).
  static constexpr size_t kMinLatentGroupSamples = 100;

  static absl::StatusOr<std::unique_ptr<TwoModeModel>> Fit(const std::vector<Sample>& samples,
                                                           const HardwareInfo& hardware);

  Prediction Predict(const ConvShape& shape) const override;
  LatencyParts PredictParts(const ConvShape& shape) const override;
  std::string kind() const override { return "two-mode"; }
  std::map<std::string, double> parameters() const override;

  // The kernel group the classifier picks for `shape`: its name ("" when kernels are unknown),
  // for tests and for active sampling.
  const std::string& PredictKernel(const ConvShape& shape) const;
  // Whether the classifier sends `shape` to the group that holds `kernel` (a kernel seen in the
  // fit): how often the kernel choice is learnt right.
  bool PredictsKernelGroupOf(const ConvShape& shape, const std::string& kernel) const;
  // The prediction when the kernel is known (its group's staircase, no classifier): the error of
  // the work-quantization half alone (no residual correction). nullopt for a kernel not seen in the fit.
  std::optional<Prediction> PredictWithKernel(const ConvShape& shape, const std::string& kernel) const;
  size_t kernel_groups() const { return groups_.size(); }
  // Whether the groups are latent ones (the samples named no kernels), and whether a residual
  // correction is applied (with what its check saw).
  bool latent_groups() const { return latent_groups_; }
  const std::optional<ResidualCorrection>& correction() const { return correction_; }

 private:
  struct KernelGroup {
    std::string name;    // a kernel name, "family:<f>" for pooled rare kernels, "" for unknown
    std::string family;  // implicit_gemm, winograd, ..., or "inferred"
    KernelCostModel cost;
    size_t samples = 0;
    std::string mapping_source;  // where its tile came from: kernel_name, launch_grids, latency_fit
    // The explanation's names of its mapping and tile, spelled once at the fit rather than per prediction.
    std::string work_mapping;
    std::string tile;
  };

  // The group whose kernel runs the layer, with that kernel's cost for it.
  struct KernelChoice {
    size_t group = 0;
    KernelCostModel::Breakdown cost;
  };
  // What a prediction derives from the layer once, for the classifier, the staircases, the
  // explanation and the correction alike: its features, and the log2 of its sizes where the
  // classifier or the correction reads them.
  struct Layer {
    const ConvShape& shape;
    ConvFeatures features;
    ConvLogSizes logs;
  };
  Layer Derive(const ConvShape& shape) const;
  KernelChoice ChooseKernel(const Layer& layer) const;
  Prediction Explain(const ConvFeatures& features, const KernelChoice& chosen) const;
  std::array<double, kCorrectionFeatures> CorrectionInputs(const Layer& layer, const KernelChoice& chosen) const;
  void FitCorrection(const std::vector<Sample>& samples);

  std::vector<KernelGroup> groups_;
  std::map<std::string, size_t> group_of_kernel_;     // every kernel seen in the fit → its group
  std::optional<DecisionTreeClassifier> classifier_;  // absent with a single group
  bool latent_groups_ = false;
  std::optional<ResidualCorrection> correction_;
};

// The latent kernel group of a layer when no kernel names are recorded: 1 pointwise, 2 strided
// pointwise, 3 3x3 unit-stride (where Winograd can run), 4 grouped or depthwise, 5 other filters
// at unit stride, 6 other filters strided.
int LatentKernelGroup(const ConvShape& shape);

// The layer parameters the kernel classifier reads (log-scaled sizes, filter, stride, type);
// `logs` = ComputeLogSizes(shape, ComputeFeatures(shape)).
inline constexpr int kKernelChoiceFeatures = 19;
std::array<double, kKernelChoiceFeatures> KernelChoiceFeatures(const ConvShape& shape, const ConvLogSizes& logs);
std::array<double, kKernelChoiceFeatures> KernelChoiceFeatures(const ConvShape& shape);

}  // namespace convlat::model
