#pragma once
// A public GPU of data/public as a transfer source, for the tests that check the transfer on real
// data.
#include <string>

#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "model/latency/samples.h"
#include "model/transfer/transfer_model.h"
#include "model/transfer/transfer_spec.h"

namespace convlat::model {

// `name` as the server seeds it ("gpu-t4"): its spec and every sample of its measurements.
inline TransferSource LoadPublicSource(const std::string& name) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  absl::StatusOr<PublicPlatform> entry = FindPublicPlatform(name);
  EXPECT_TRUE(entry.ok()) << entry.status();
  absl::StatusOr<RecordedPlatform> recorded = LoadPublicPlatform(*entry, dir, "test");
  EXPECT_TRUE(recorded.ok()) << recorded.status();
  absl::StatusOr<TransferSpec> spec = TransferSpecOf(recorded->platform, "platform");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return TransferSource{.spec = *spec, .samples = SamplesFromMeasurements(recorded->measurements)};
}

}  // namespace convlat::model
