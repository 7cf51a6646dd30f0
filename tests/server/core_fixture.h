#pragma once
// The server's state without its gRPC side, for tests that call the core functions directly: a
// real SQLite store in a temporary directory, the model registry over it, and the metrics.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "convlat/v1/profiler.pb.h"
#include "server/measurement_store.h"
#include "server/model_lookup.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::testing {

// A SQLite file path unique to this process and object; the file and its WAL files go with it.
class TempDb {
 public:
  explicit TempDb(const std::string& stem);
  ~TempDb();
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerCoreTest : public ::testing::Test {
 protected:
  void SetUp() override;

  server::QueryCore core() { return {.models = *models_, .store = *store_, .metrics = metrics_}; }

  // Registers `name` with T4Platform's description.
  void Register(const std::string& name);
  // Stores the measurements as one batch, through the ingest core, and waits for the refit.
  void StoreAndFit(const std::string& platform, const std::vector<v1::Measurement>& measurements);
  // Registers "cpu" and fits it on CpuConvsAndOps(); fails unless a model is served. Callers wrap it
  // in ASSERT_NO_FATAL_FAILURE.
  void FitCpu();
  // Registers "t4" and fits it on the first `count` T4 measurements (all by default); fails without
  // the public dataset or a served model. Callers wrap it in ASSERT_NO_FATAL_FAILURE.
  void FitT4(size_t count = SIZE_MAX);
  // Registers "gpu-t4" and "gpu-v100" and fits them on the public NeuSight measurements: two real
  // GPUs to transfer from. Skips the test without the public datasets.
  void StoreT4AndV100AsSources();
  // The platform's count of successful measurements, as ListPlatforms reports it (-1: unknown).
  int64_t SampleCount(const std::string& platform);

  TempDb db_{"core_test"};
  server::ServerMetrics metrics_;
  std::unique_ptr<server::MeasurementStore> store_;
  std::unique_ptr<server::ModelRegistry> models_;  // after the store: stops its worker first
};

}  // namespace convlat::testing
