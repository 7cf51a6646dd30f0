#include "client/eval_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, neusight, "", "a NeuSight conv CSV (data/public/neusight-conv3x3/*.csv)");
ABSL_FLAG(std::string, justus, "", "a Justus et al. conv CSV (data/public/justus-conv/*.csv)");
ABSL_FLAG(std::string, csv, "",
          "convlat measurements CSVs, comma-separated (docs/measurements-csv.md, e.g. data/measurements/*/*.csv)");
ABSL_FLAG(int32_t, compute_units, 0,
          "the device's SMs or cores, over what the data or the GPU table says (0: theirs; unknown: the fit "
          "searches concurrency)");
ABSL_FLAG(std::string, db, "", "a convlat store (SQLite path), with --platform");
ABSL_FLAG(std::string, platform, "", "platform name in --db");
ABSL_FLAG(std::string, models, "two-mode,roofline,flops-linear,nearest-neighbour,xgboost-gbdt,random-forest",
          "comma-separated models to compare");
ABSL_FLAG(double, test_fraction, 0.2, "share of the layers held out for testing");
ABSL_FLAG(uint64_t, seed, 1, "seed of the split and of the subsets");
ABSL_FLAG(int32_t, folds, 0, "also report k-fold cross-validation with this many folds (0: off)");
ABSL_FLAG(std::string, curve, "25,50,100,200,500,1000", "training-set sizes of the learning curve (empty: off)");
ABSL_FLAG(int32_t, repeats, 3, "random training subsets per learning-curve size");
ABSL_FLAG(std::string, active, "", "training-set sizes for active vs random sampling, e.g. 25,50,100,200 (empty: off)");
ABSL_FLAG(std::string, plot, "", "write an SVG of latency vs output channels to this file");
ABSL_FLAG(std::string, plot_layer, "", "the layer of the plot (its k is swept), e.g. n=1,c=64,h=56,w=56,r=3,s=3,pad=1");
ABSL_FLAG(int32_t, plot_k_max, 256, "largest output-channel count of the plot");
ABSL_FLAG(bool, intervals, true,
          "report the 80 % prediction intervals' coverage of held-out layers (the first of --models), on all "
          "training layers and at each --curve size");
ABSL_FLAG(bool, intervals_all_layers, true,
          "--intervals: also on all training layers (off: the --curve sizes only; a two-mode fit on 10k+ layers "
          "takes minutes)");
ABSL_FLAG(bool, intervals_only, false, "report the prediction intervals alone (no model comparison)");
ABSL_FLAG(bool, transfer, false, "leave-one-GPU-out transfer matrix over the public GPUs (see --datasets)");
ABSL_FLAG(std::string, datasets, "data/public", "--transfer: the public datasets directory");
ABSL_FLAG(std::string, plot_dir, "", "write SVGs (predicted vs measured, learning curves, a staircase) into DIR");
ABSL_FLAG(std::string, plot_sweep, "k", "--plot_dir: the staircase's swept parameter (n, c, k or h)");
ABSL_FLAG(bool, hide_kernel_names, false, "rename every kernel (tiles from the launch grids, not names)");
ABSL_FLAG(int32_t, worst, 0, "list the two-mode model's this many worst held-out layers, with its explanation");

namespace convlat::client {

absl::StatusOr<std::vector<size_t>> ParseSizes(const std::string& text, const char* flag) {
  std::vector<size_t> sizes;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    size_t size = 0;
    if (!absl::SimpleAtoi(part, &size) || size == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": '", part, "' is not a positive count"));
    }
    sizes.push_back(size);
  }
  return sizes;
}

}  // namespace convlat::client
