#pragma once
// convlat-eval's command-line flags (defined in eval_flags.cc, shown by --help) and the parsing of
// the list-valued ones, whose errors name the flag the user typed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"

// Where the layers come from: exactly one of these (--db with --platform).
ABSL_DECLARE_FLAG(std::string, neusight);
ABSL_DECLARE_FLAG(std::string, justus);
ABSL_DECLARE_FLAG(std::string, csv);
ABSL_DECLARE_FLAG(int32_t, compute_units);
ABSL_DECLARE_FLAG(std::string, db);
ABSL_DECLARE_FLAG(std::string, platform);
// What is compared, and how.
ABSL_DECLARE_FLAG(std::string, models);
ABSL_DECLARE_FLAG(double, test_fraction);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(int32_t, folds);
ABSL_DECLARE_FLAG(std::string, curve);
ABSL_DECLARE_FLAG(int32_t, repeats);
ABSL_DECLARE_FLAG(std::string, active);
ABSL_DECLARE_FLAG(bool, intervals);
ABSL_DECLARE_FLAG(bool, intervals_all_layers);
ABSL_DECLARE_FLAG(bool, intervals_only);
ABSL_DECLARE_FLAG(bool, hide_kernel_names);
ABSL_DECLARE_FLAG(int32_t, worst);
// Pictures.
ABSL_DECLARE_FLAG(std::string, plot);
ABSL_DECLARE_FLAG(std::string, plot_layer);
ABSL_DECLARE_FLAG(int32_t, plot_k_max);
ABSL_DECLARE_FLAG(std::string, plot_dir);
ABSL_DECLARE_FLAG(std::string, plot_sweep);
// The leave-one-GPU-out transfer matrix instead of one platform.
ABSL_DECLARE_FLAG(bool, transfer);
ABSL_DECLARE_FLAG(std::string, datasets);

namespace convlat::client {

// "25,50,100": the training-set sizes of --curve or --active (`flag`, without its dashes). Empty
// text is no sizes; anything but a positive count is an error naming --flag and the part typed.
absl::StatusOr<std::vector<size_t>> ParseSizes(const std::string& text, const char* flag);

}  // namespace convlat::client
