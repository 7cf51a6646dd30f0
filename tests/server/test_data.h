#pragma once
// Real measurements and networks for the server's tests: the public NeuSight T4 dataset
// (data/public/, or $CONVLAT_DATASETS), this repository's CPU measurements, and ResNet-18.

#include <cstddef>
#include <string>
#include <vector>

#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"

namespace convlat::testing {

inline constexpr char kNoDataset[] =
    "public dataset neusight-conv3x3/Tesla_T4.csv not found in data/public (or $CONVLAT_DATASETS)";

// The T4's records (kernel names and grids included), or null when the file cannot be read.
const std::vector<v1::Measurement>* T4Measurements();

// data/measurements/cpu-epyc-2core/FILE as the agent recorded it: convolutions and other ops.
std::vector<v1::Measurement> CpuMeasurements(const std::string& file);
// The other ops (pooling, activations, ...) of the CPU's default sweep, all of its 600-odd.
std::vector<v1::Measurement> CpuOpMeasurements();

// The CPU's staircase convolutions, then its other ops: what the server tests fit "cpu" on.
std::vector<v1::Measurement> CpuConvsAndOps();

// `count` of `measurements` from `first` (all of them by default) as one batch.
v1::MeasurementBatch Batch(const std::string& id, const std::string& platform,
                           const std::vector<v1::Measurement>& measurements, size_t first = 0, size_t count = SIZE_MAX);

// The description every test registers its platforms with, the T4's: a GPU with 40 SMs.
v1::Platform T4Platform(const std::string& name);

// "n=1,c=64,...": the spec must parse.
v1::ConvParams Conv(const char* spec);
v1::OpParams Op(const char* spec);

// torchvision's ResNet-18 without weights (tests/fixtures/onnx/resnet18.onnx).
std::string ResNet18Onnx();

}  // namespace convlat::testing
