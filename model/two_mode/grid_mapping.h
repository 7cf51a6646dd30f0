#pragma once
// A kernel's work mapping read off its recorded launch grids, so that a kernel whose name the
// table (kernel_name.h) does not know, from a new GPU generation or cuDNN version, still gets its
// staircase. Every candidate (GEMM view of the layer: implicit GEMM M = N·P·Q or a Winograd tile
// count, N = K; fused-Winograd blocks; CTA tile sizes; split-K; grid axis order) is scored by how
// many of the kernel's grids it reproduces. The name is only a hint: its tile wins ties.

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/latency/samples.h"
#include "model/two_mode/kernel_name.h"
#include "model/two_mode/work_quantization.h"

namespace convlat::model {

// Where a kernel's work mapping came from, as the explanation reports it.
enum class MappingSource {
  kKernelName,   // the name's tile, confirmed by the grids or with no grids to check
  kLaunchGrids,  // inferred from the grids (the name gave no tile, or one the grids contradict)
  kLatencyFit,   // neither: the cost fit searched tiles by how well the staircase fits latency
};
std::string MappingSourceName(MappingSource source);  // "kernel_name", "launch_grids", "latency_fit"

// Grids must agree this often for an inferred mapping to be used: a few layers timed with
// another kernel's grid (a mislabelled record) do not veto it, a wrong view never reaches it.
inline constexpr double kMinGridMatchRate = 0.9;

struct GridFit {
  WorkMapping mapping = WorkMapping::kImplicitGemm;
  CtaTile tile;
  int samples_with_grid = 0;
  int ctas_matched = 0;  // samples whose CTA count the mapping reproduces
  int axes_matched = 0;  // ...and whose x, y, z it reproduces axis by axis, in `axis_order`
  // Which of LaunchGrid's axes lands on the recorded x, y, z ({0, 1, 2}: cuDNN's usual order).
  std::array<int, 3> axis_order{0, 1, 2};
  double match_rate() const { return samples_with_grid > 0 ? double(ctas_matched) / samples_with_grid : 0; }
};

// The candidate that reproduces the most grids (CTA counts first, then axes), the hint's tile or
// block on ties; nullopt when no sample recorded a grid.
std::optional<GridFit> FitGridMapping(std::span<const Sample* const> samples, const KernelInfo& hint);

// What the cost fit of one kernel starts from: the tile (m = n = 0 and no block: search it by
// latency) and where it came from.
struct KernelMapping {
  CtaTile tile;
  MappingSource source = MappingSource::kLatencyFit;
};
KernelMapping ChooseKernelMapping(const std::string& kernel, std::span<const Sample* const> samples);

// The samples with every kernel renamed "kernel-<i>" (one name per kernel, so a kernel stays one
// group, but a name the table cannot parse): how the mapping inference is validated, as if every
// kernel were new.
std::vector<Sample> WithKernelNamesHidden(std::vector<Sample> samples);

// How many kernels (and their layers) get a mapping that reproduces every one of their grids.
struct GridInferenceSummary {
  int kernels = 0;           // kernels with at least one recorded grid
  int kernels_exact = 0;     // whose every CTA count the mapping reproduces
  int kernels_usable = 0;    // reproducing at least kMinGridMatchRate of them (what the model uses)
  int layers = 0;            // samples with a grid
  int layers_exact = 0;      // whose CTA count their kernel's mapping reproduces
  int layers_axes = 0;       // ...axis by axis
  int kernels_as_table = 0;  // inferred tile equal to the one the name table gives
  int kernels_in_table = 0;  // kernels whose name gives the table a tile or block (FFT aside)
};
// `use_names`: false treats every kernel as unknown (no hint); the table comparison reads the
// names either way.
GridInferenceSummary SummarizeGridInference(const std::vector<Sample>& samples, bool use_names);

}  // namespace convlat::model
