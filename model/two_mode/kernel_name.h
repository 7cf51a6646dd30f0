#pragma once
// What a GPU kernel's name says about the algorithm that ran and its CTA tile. cuDNN and cuBLAS
// encode both in their kernel names (`volta_sgemm_128x64_nn`, `..._scudnn_winograd_128x128_...`,
// `sm90_xmma_fprop_implicit_gemm_..._tilesize128x128x64`); the grid gives the CTA count.

#include <string>

#include "absl/strings/string_view.h"
#include "model/two_mode/work_quantization.h"

namespace convlat::model {

enum class KernelFamily {
  kUnknown,
  kImplicitGemm,  // cuDNN implicit-GEMM convolution kernels (scudnn, xmma)
  kGemm,          // a plain GEMM after a data transform (im2col, non-fused Winograd)
  kWinograd,      // fused Winograd convolution
  kFft,           // complex GEMM of FFT convolution (gcgemm)
  kLegacy,        // cuDNN's older templated *_convolve_sgemm kernels
};

struct KernelInfo {
  KernelFamily family = KernelFamily::kUnknown;
  int tile_m = 0;  // CTA tile rows and columns, 0 when the name does not say
  int tile_n = 0;
  // Fused Winograd kernels name the block each CTA computes ("tile148t"); batch 0 otherwise.
  FusedWinogradBlock block;
};

KernelInfo ParseKernelName(absl::string_view name);
std::string KernelFamilyName(KernelFamily family);

}  // namespace convlat::model
