#include "model/two_mode/grid_mapping.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace convlat::model {
namespace {

constexpr int kTileSizes[] = {16, 32, 64, 128, 256};
constexpr int kSplitKs[] = {1, 2, 4, 8};
// Fused-Winograd blocks: images per CTA, output rows and columns (Winograd 2x2 tiles, so even),
// output channels.
constexpr int kBlockImages[] = {1, 2, 4, 8};
constexpr int kBlockPixels[] = {2, 4, 8, 16, 32};
constexpr int kBlockChannels[] = {16, 32, 64};
// The GEMM views a grid can tell apart (explicit GEMM launches the grid implicit GEMM does).
constexpr WorkMapping kGridViews[] = {WorkMapping::kImplicitGemm, WorkMapping::kWinograd4x4, WorkMapping::kWinograd2x2};
constexpr std::array<std::array<int, 3>, 6> kAxisOrders = {
    {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}}};

struct Candidate {
  WorkMapping mapping;
  CtaTile tile;
};

std::vector<Candidate> Candidates() {
  std::vector<Candidate> candidates;
  for (WorkMapping mapping : kGridViews) {
    for (int split : kSplitKs) {
      for (int m : kTileSizes) {
        for (int n : kTileSizes) candidates.push_back({mapping, CtaTile{.m = m, .n = n, .split_k = split}});
      }
    }
  }
  for (int images : kBlockImages) {
    for (int p : kBlockPixels) {
      for (int q : kBlockPixels) {
        for (int channels : kBlockChannels) {
          const FusedWinogradBlock block{.batch = images, .p = p, .q = q, .channels = channels};
          candidates.push_back({WorkMapping::kFusedWinograd, CtaTile{.block = block}});
        }
      }
    }
  }
  return candidates;
}

bool SameTile(const CtaTile& a, const CtaTile& b) {
  if (a.block.batch > 0 || b.block.batch > 0) {
    return a.block.batch == b.block.batch && a.block.p == b.block.p && a.block.q == b.block.q &&
           a.block.channels == b.block.channels;
  }
  return a.m == b.m && a.n == b.n && std::max(1, a.split_k) == std::max(1, b.split_k);
}

CtaTile TileOf(const KernelInfo& info) { return CtaTile{.m = info.tile_m, .n = info.tile_n, .block = info.block}; }

bool NamesATile(const KernelInfo& info) { return info.block.batch > 0 || (info.tile_m > 0 && info.tile_n > 0); }

GridFit Score(std::span<const Sample* const> samples, const Candidate& candidate) {
  GridFit fit{.mapping = candidate.mapping, .tile = candidate.tile};
  std::array<int, kAxisOrders.size()> axes{};
  for (const Sample* sample : samples) {
    if (sample->observed_ctas <= 0) continue;
    ++fit.samples_with_grid;
    if (!MappingApplies(candidate.mapping, sample->shape)) continue;
    const GridDims grid = LaunchGrid(sample->shape, candidate.mapping, candidate.tile);
    if (grid.ctas() != sample->observed_ctas) continue;
    ++fit.ctas_matched;
    const std::array<int64_t, 3> dims{grid.x, grid.y, grid.z};
    for (size_t o = 0; o < kAxisOrders.size(); ++o) {
      const auto& order = kAxisOrders[o];
      axes[o] += dims[order[0]] == sample->observed_grid[0] && dims[order[1]] == sample->observed_grid[1] &&
                 dims[order[2]] == sample->observed_grid[2];
    }
  }
  // The first order wins ties: cuDNN's usual one.
  const size_t best = std::max_element(axes.begin(), axes.end()) - axes.begin();
  fit.axes_matched = axes[best];
  fit.axis_order = kAxisOrders[best];
  return fit;
}

}  // namespace

std::string MappingSourceName(MappingSource source) {
  switch (source) {
    case MappingSource::kKernelName: return "kernel_name";
    case MappingSource::kLaunchGrids: return "launch_grids";
    case MappingSource::kLatencyFit: return "latency_fit";
  }
  return "unknown";
}

std::optional<GridFit> FitGridMapping(std::span<const Sample* const> samples, const KernelInfo& hint) {
  if (std::none_of(samples.begin(), samples.end(), [](const Sample* s) { return s->observed_ctas > 0; })) {
    return std::nullopt;
  }
  static const std::vector<Candidate> candidates = Candidates();
  const CtaTile hinted = TileOf(hint);
  const bool has_hint = NamesATile(hint);
  std::optional<GridFit> best;
  auto rank = [&](const GridFit& f) {
    // More grids reproduced first, CTA counts then axes; then cuDNN's usual axis order, the
    // name's tile, no split-K (the candidates are in order of preference, so an earlier one keeps
    // its place on a full tie).
    return std::tuple(f.ctas_matched, f.axes_matched, f.axis_order == kAxisOrders[0],
                      has_hint && SameTile(f.tile, hinted), -f.tile.split_k);
  };
  for (const Candidate& candidate : candidates) {
    GridFit fit = Score(samples, candidate);
    if (!best || rank(fit) > rank(*best)) best = fit;
  }
  return best;
}

KernelMapping ChooseKernelMapping(const std::string& kernel, std::span<const Sample* const> samples) {
  const KernelInfo info = ParseKernelName(kernel);
  if (std::optional<GridFit> fit = FitGridMapping(samples, info); fit && fit->match_rate() >= kMinGridMatchRate) {
    const bool as_named = NamesATile(info) && SameTile(fit->tile, TileOf(info));
    return {fit->tile, as_named ? MappingSource::kKernelName : MappingSource::kLaunchGrids};
  }
  if (NamesATile(info)) return {TileOf(info), MappingSource::kKernelName};
  return {CtaTile{}, MappingSource::kLatencyFit};
}

std::vector<Sample> WithKernelNamesHidden(std::vector<Sample> samples) {
  std::map<std::string, std::string> renamed;
  for (Sample& sample : samples) {
    if (sample.kernel.empty()) continue;
    auto [it, inserted] = renamed.try_emplace(sample.kernel, "");
    if (inserted) it->second = absl::StrCat("kernel-", renamed.size());
    sample.kernel = it->second;
  }
  return samples;
}

GridInferenceSummary SummarizeGridInference(const std::vector<Sample>& samples, bool use_names) {
  std::map<std::string, std::vector<const Sample*>> by_kernel;
  for (const Sample& sample : samples) {
    if (sample.observed_ctas > 0) by_kernel[sample.kernel].push_back(&sample);
  }
  GridInferenceSummary summary;
  for (const auto& [kernel, members] : by_kernel) {
    const KernelInfo info = ParseKernelName(kernel);
    const std::optional<GridFit> fit = FitGridMapping(members, use_names ? info : KernelInfo{});
    if (!fit) continue;
    ++summary.kernels;
    summary.kernels_exact += fit->ctas_matched == fit->samples_with_grid;
    summary.kernels_usable += fit->match_rate() >= kMinGridMatchRate;
    summary.layers += fit->samples_with_grid;
    summary.layers_exact += fit->ctas_matched;
    summary.layers_axes += fit->axes_matched;
    if (NamesATile(info) && info.family != KernelFamily::kFft) {  // FFT: the table claims no grid
      ++summary.kernels_in_table;
      summary.kernels_as_table += SameTile(fit->tile, TileOf(info));
    }
  }
  return summary;
}

}  // namespace convlat::model
