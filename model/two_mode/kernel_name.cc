#include "model/two_mode/kernel_name.h"

#include <cctype>

#include "absl/strings/match.h"

namespace convlat::model {
namespace {

// Reads the digits at `pos`; returns the value and moves `pos` past them (0 if none).
int ReadNumber(absl::string_view text, size_t& pos) {
  int value = 0;
  const size_t start = pos;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && pos - start < 5) {
    value = value * 10 + (text[pos++] - '0');
  }
  return pos > start ? value : 0;
}

// The first "MxN" that starts a name component ("_128x64", "tilesize128x128x64"), which is
// where the libraries put the CTA tile; "sliced1x4" and the like are not tiles.
void FindTile(absl::string_view name, KernelInfo& info) {
  for (size_t i = 0; i < name.size(); ++i) {
    const bool starts_component = i > 0 && (name[i - 1] == '_' || absl::EndsWith(name.substr(0, i), "tilesize"));
    if (!starts_component || !std::isdigit(static_cast<unsigned char>(name[i]))) continue;
    size_t pos = i;
    const int m = ReadNumber(name, pos);
    if (pos >= name.size() || name[pos] != 'x') continue;
    ++pos;
    const int n = ReadNumber(name, pos);
    if (m > 0 && n > 0) {
      info.tile_m = m;
      info.tile_n = n;
      return;
    }
  }
}

// "tile148t": a fused-Winograd CTA covers 1 image and 4 x 8 Winograd 2x2 output tiles. Checked
// against every such kernel's grid in the public data (tile148t on T4/V100/A100, tile442t on A100).
void FindFusedWinogradBlock(absl::string_view name, KernelInfo& info) {
  for (size_t at = name.find("tile"); at != absl::string_view::npos; at = name.find("tile", at + 1)) {
    const absl::string_view digits = name.substr(at + 4, 4);
    if (digits.size() == 4 && digits[3] == 't' && std::isdigit(static_cast<unsigned char>(digits[0])) &&
        std::isdigit(static_cast<unsigned char>(digits[1])) && std::isdigit(static_cast<unsigned char>(digits[2]))) {
      const int batch = digits[0] - '0', tiles_h = digits[1] - '0', tiles_w = digits[2] - '0';
      if (batch == 0 || tiles_h == 0 || tiles_w == 0) continue;
      info.block = {.batch = batch, .p = 2 * tiles_h, .q = 2 * tiles_w};
      return;
    }
  }
}

}  // namespace

KernelInfo ParseKernelName(absl::string_view name) {
  KernelInfo info;
  // Order matters: "implicit_convolve_sgemm" is legacy, not implicit GEMM, and a Winograd kernel
  // name also contains "scudnn".
  if (absl::StrContains(name, "convolve_sgemm") || absl::StrContains(name, "convolve_hgemm")) {
    info.family = KernelFamily::kLegacy;
    return info;  // the template's numbers are thread counts, not a tile
  }
  if (absl::StrContains(name, "winograd")) {
    info.family = KernelFamily::kWinograd;
    FindFusedWinogradBlock(name, info);
  } else if (absl::StrContains(name, "gcgemm")) {
    info.family = KernelFamily::kFft;
  } else if (absl::StrContains(name, "scudnn") || absl::StrContains(name, "hcudnn") ||
             absl::StrContains(name, "xmma") || absl::StrContains(name, "implicit_gemm")) {
    info.family = KernelFamily::kImplicitGemm;
  } else if (absl::StrContains(name, "gemm")) {
    info.family = KernelFamily::kGemm;
  } else {
    return info;
  }
  FindTile(name, info);
  return info;
}

std::string KernelFamilyName(KernelFamily family) {
  switch (family) {
    case KernelFamily::kImplicitGemm: return "implicit_gemm";
    case KernelFamily::kGemm: return "gemm";
    case KernelFamily::kWinograd: return "winograd";
    case KernelFamily::kFft: return "fft";
    case KernelFamily::kLegacy: return "legacy";
    default: return "unknown";
  }
}

}  // namespace convlat::model
