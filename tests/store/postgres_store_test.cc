// The PostgreSQL store against a real PostgreSQL server started for these tests (Debian's
// postgresql package; scripts/install-deps.sh installs it). Every test gets a fresh database.
// The records are storage fixtures, not measurements: they are never fitted or reported.
#include "server/postgres_store.h"

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/create_channel.h"
#include "model/layers/conv_spec.h"
#include "server/server_app.h"
#include "tests/support/temporary_postgres.h"

namespace convlat::server {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class PostgresStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<testing::TemporaryPostgres>> server = testing::TemporaryPostgres::Start();
    if (server.ok()) {
      server_ = server->release();
    } else {
      why_not_ = std::string(server.status().message());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << "no PostgreSQL for this test: " << why_not_;
    static std::atomic<int> counter{0};
    absl::StatusOr<std::string> url = server_->NewDatabase("convlat_test_" + std::to_string(counter++));
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }

  std::unique_ptr<MeasurementStore> Open() {
    absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(url_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static v1::Platform Platform(const std::string& name, const std::string& device) {
    v1::Platform p;
    p.set_name(name);
    p.set_kind(v1::PLATFORM_KIND_GPU);
    p.set_device_name(device);
    p.set_compute_units(132);
    return p;
  }
  static v1::MeasurementBatch Batch(const std::string& id, const std::string& platform, int count, int first_k = 1) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(id);
    batch.set_platform(platform);
    for (int i = 0; i < count; ++i) {
      v1::Measurement* m = batch.add_measurements();
      *m->mutable_params() = *model::ParseConvSpec("n=1,c=64,h=28,w=28,r=3,s=3,pad=1,k=" + std::to_string(first_k + i));
      m->mutable_latency()->set_median_us(10.0 + i);
      m->set_algorithm("implicit_precomp_gemm:fma");
      v1::KernelRecord* kernel = m->add_kernels();
      kernel->set_name("sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nchwkcrs_nchw_tilesize128x64x32");
      kernel->mutable_grid()->set_x(13);
      if (i == 1) {  // as the agent flags a configuration whose spread stayed too wide
        m->set_noisy(true);
        m->set_remeasurements(2);
      }
      if (i % 5 == 4) {
        m->set_failed(true);
        m->set_failure_reason("not supported");
        m->clear_latency();
      }
    }
    return batch;
  }

  // Builds a schema of `old_version` in url_ with one batch as that version stored it, opens it
  // with this convlat and checks what the migrations kept.
  void MigrateFrom(int old_version);

  static testing::TemporaryPostgres* server_;
  static std::string why_not_;
  std::string url_;
};

testing::TemporaryPostgres* PostgresStoreTest::server_ = nullptr;
std::string PostgresStoreTest::why_not_;

TEST_F(PostgresStoreTest, PlatformsRoundTripAndUpdate) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<UpsertPlatformResult> first = store->UpsertPlatform(Platform("h100", "NVIDIA H100"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  absl::StatusOr<UpsertPlatformResult> second = store->UpsertPlatform(Platform("h100", "NVIDIA H100 80GB HBM3"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  ASSERT_TRUE(store->UpsertPlatform(Platform("a100", "NVIDIA A100")).ok());
  EXPECT_EQ(store->GetPlatform("h100")->device_name(), "NVIDIA H100 80GB HBM3");
  ASSERT_EQ(store->ListPlatforms()->size(), 2u);
  EXPECT_EQ(store->ListPlatforms()->front().name(), "a100");
  EXPECT_EQ(store->GetPlatform("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PostgresStoreTest, BatchesAreWholeOnceAndInOrder) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->InsertBatch(Batch("b0", "unknown", 1)).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100", "NVIDIA H100")).ok());
  const v1::MeasurementBatch batch = Batch("b1", "h100", 10);
  absl::StatusOr<InsertBatchResult> stored = store->InsertBatch(batch);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->stored, 10);
  absl::StatusOr<InsertBatchResult> again = store->InsertBatch(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  ASSERT_TRUE(store->InsertBatch(Batch("b2", "h100", 3, 100)).ok());

  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 13u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], batch.measurements(i))) << i;
  EXPECT_EQ((*loaded)[10].params().k(), 100);
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 11);  // every fifth is a failed measurement
}

// Two connections (two replicas) racing to store the same batches: each stored exactly once.
TEST_F(PostgresStoreTest, ConcurrentReplicasStoreEachBatchOnce) {
  auto first = Open();
  auto second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->UpsertPlatform(Platform("h100", "NVIDIA H100")).ok());
  std::atomic<int> stored{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (MeasurementStore* store : {first.get(), second.get(), first.get(), second.get()}) {
    threads.emplace_back([&, store] {
      for (int b = 0; b < 20; ++b) {
        absl::StatusOr<InsertBatchResult> result =
            store->InsertBatch(Batch("batch-" + std::to_string(b), "h100", 5, 10 * b));
        if (!result.ok()) continue;
        (result->duplicate ? duplicates : stored) += 1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(stored, 20);
  EXPECT_EQ(duplicates, 60);
  EXPECT_EQ(first->LoadMeasurements("h100")->size(), 100u);
}

TEST_F(PostgresStoreTest, ASchemaFromANewerConvlatIsRefusedUntouched) {
  ASSERT_NE(Open(), nullptr);
  {
    pqxx::connection db(url_);
    pqxx::work tx(db);
    tx.exec("UPDATE convlat_schema SET version = 99");
    tx.commit();
  }
  absl::StatusOr<std::unique_ptr<MeasurementStore>> refused = OpenMeasurementStore(url_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("schema version 99"));
  pqxx::connection db(url_);
  pqxx::read_transaction tx(db);
  EXPECT_EQ(tx.exec("SELECT version FROM convlat_schema")[0][0].as<int>(), 99);
}

// A schema as convlat left it before batch digests (v1) or before the noisy column (v2), opened
// by this one: every batch and measurement is kept (their noisy column false, their records
// unchanged), a resend of an old batch is still a duplicate, new batches get a digest and their
// noisy column from their records.
TEST_F(PostgresStoreTest, MigratesOlderSchemasKeepingTheirBatches) {
  for (int old_version : {1, 2}) {
    SCOPED_TRACE(old_version);
    absl::StatusOr<std::string> url = server_->NewDatabase("convlat_old_v" + std::to_string(old_version));
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    MigrateFrom(old_version);
  }
}

int64_t CountRows(const std::string& url, const std::string& sql) {
  pqxx::connection db(url);
  pqxx::read_transaction tx(db);
  return tx.exec1(sql)[0].as<int64_t>();
}

// A v4 schema (before the hot-latency column) opened by this convlat: its rows are kept with the
// column NULL, and new rows fill it from their records where the agent timed them hot.
TEST_F(PostgresStoreTest, MigratesAVersionFourSchemaToTheHotLatencyColumn) {
  const v1::MeasurementBatch old_batch = Batch("old", "h100", 3);
  {
    absl::StatusOr<std::unique_ptr<PostgresStore>> old = PostgresStore::Open(url_, 4);
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE((*old)->UpsertPlatform(Platform("h100", "NVIDIA H100")).ok());
  }
  {
    // As v4's InsertBatch wrote it (this convlat's writes the v5 column).
    pqxx::connection db(url_);
    pqxx::work tx(db);
    const auto platform_id = tx.exec1("SELECT id FROM convlat_platforms WHERE name = 'h100'")[0].as<int64_t>();
    tx.exec_params(
        "INSERT INTO convlat_batches(batch_id, platform_id, received_at, measurement_count) "
        "VALUES ('old', $1, 0, 3)",
        platform_id);
    for (const v1::Measurement& m : old_batch.measurements()) {
      tx.exec_params(
          "INSERT INTO convlat_measurements(platform_id, batch_id, failed, median_us, record) "
          "VALUES ($1, 'old', $2, $3, $4)",
          platform_id, m.failed(), m.latency().median_us(), pqxx::binarystring(m.SerializeAsString()));
    }
    tx.commit();
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CountRows(url_, "SELECT version FROM convlat_schema"), PostgresStore::kSchemaVersion);
  EXPECT_EQ(PostgresStore::kSchemaVersion, 5);
  EXPECT_EQ(CountRows(url_, "SELECT count(*) FROM convlat_measurements WHERE hot_median_us IS NULL"), 3);
  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], old_batch.measurements(i))) << i;

  v1::MeasurementBatch hot = Batch("new", "h100", 2, 10);
  hot.mutable_measurements(0)->mutable_hot_latency()->set_median_us(4.5);
  ASSERT_EQ(store->InsertBatch(hot)->stored, 2);
  EXPECT_EQ(CountRows(url_, "SELECT count(*) FROM convlat_measurements WHERE hot_median_us = 4.5"), 1);
  EXPECT_EQ(CountRows(url_, "SELECT count(*) FROM convlat_measurements WHERE hot_median_us IS NULL"), 4);
  loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 5u);
  EXPECT_DOUBLE_EQ((*loaded)[3].hot_latency().median_us(), 4.5);
}

void PostgresStoreTest::MigrateFrom(int old_version) {
  const v1::MeasurementBatch old_batch = Batch("old", "h100", 5);
  {
    absl::StatusOr<std::unique_ptr<PostgresStore>> old = PostgresStore::Open(url_, old_version);
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE((*old)->UpsertPlatform(Platform("h100", "NVIDIA H100")).ok());
    ASSERT_TRUE((*old)->UpsertPlatform(Platform("a100", "NVIDIA A100")).ok());
    // As v1's InsertBatch wrote it, no digest (this convlat's cannot write to the older schema).
    pqxx::connection db(url_);
    pqxx::work tx(db);
    const auto platform_id = tx.exec1("SELECT id FROM convlat_platforms WHERE name = 'h100'")[0].as<int64_t>();
    tx.exec_params(
        "INSERT INTO convlat_batches(batch_id, platform_id, received_at, measurement_count) "
        "VALUES ($1, $2, 0, $3)",
        old_batch.batch_id(), platform_id, old_batch.measurements_size());
    for (const v1::Measurement& m : old_batch.measurements()) {
      tx.exec_params(
          "INSERT INTO convlat_measurements(platform_id, batch_id, failed, median_us, record) "
          "VALUES ($1, $2, $3, $4, $5)",
          platform_id, old_batch.batch_id(), m.failed(), m.latency().median_us(),
          pqxx::binarystring(m.SerializeAsString()));
    }
    tx.commit();
  }

  auto store = Open();
  ASSERT_NE(store, nullptr);
  {
    pqxx::connection db(url_);
    pqxx::read_transaction tx(db);
    EXPECT_EQ(tx.exec1("SELECT version FROM convlat_schema")[0].as<int>(), PostgresStore::kSchemaVersion);
  }
  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], old_batch.measurements(i))) << i;
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 4);
  EXPECT_TRUE(store->InsertBatch(old_batch)->duplicate);
  // Its measurements were never digested, so other ones under its id pass for a resend, as they
  // did before v2; its platform was recorded, and another one is refused.
  EXPECT_TRUE(store->InsertBatch(Batch("old", "h100", 2, 50))->duplicate);
  EXPECT_EQ(store->InsertBatch(Batch("old", "a100", 5)).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_EQ(store->InsertBatch(Batch("new", "h100", 2, 10))->stored, 2);
  EXPECT_EQ(store->InsertBatch(Batch("new", "h100", 2, 20)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->LoadMeasurements("h100")->size(), 7u);
  // The old rows' column is false though one record says noisy; the new batch's noisy one is true.
  EXPECT_TRUE((*loaded)[1].noisy());
  EXPECT_EQ(CountRows(url_, "SELECT count(*) FROM convlat_measurements WHERE noisy AND batch_id = 'old'"), 0);
  EXPECT_EQ(CountRows(url_, "SELECT count(*) FROM convlat_measurements WHERE noisy AND batch_id = 'new'"), 1);
}

TEST_F(PostgresStoreTest, AnUnreachableDatabaseIsUnavailable) {
  absl::StatusOr<std::unique_ptr<MeasurementStore>> store =
      OpenMeasurementStore("postgresql://postgres@127.0.0.1:1/convlat?connect_timeout=2");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

// Two convlat-server replicas on one database: an agent pushes to the first; the second learns of
// the measurements through the store and serves a model of them.
TEST_F(PostgresStoreTest, ReplicasShareMeasurementsAndModels) {
  ServerOptions options{.listen = "127.0.0.1:0", .db = url_, .metrics_listen = ""};
  options.store_sync_interval = std::chrono::milliseconds(100);
  absl::StatusOr<std::unique_ptr<ServerApp>> writer = ServerApp::Start(options);
  absl::StatusOr<std::unique_ptr<ServerApp>> reader = ServerApp::Start(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(reader.ok()) << reader.status();

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*writer)->port()), grpc::InsecureChannelCredentials());
  v1::RegisterPlatformRequest registration;
  *registration.mutable_platform() = Platform("h100", "NVIDIA H100");
  v1::RegisterPlatformResponse registered;
  grpc::ClientContext register_context;
  ASSERT_TRUE(
      v1::ProfilerService::NewStub(channel)->RegisterPlatform(&register_context, registration, &registered).ok());
  grpc::ClientContext push_context;
  auto stream = v1::ProfilerService::NewStub(channel)->PushMeasurements(&push_context);
  ASSERT_TRUE(stream->Write(Batch("fleet-1", "h100", 40)));
  v1::PushAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_TRUE(ack.error().empty()) << ack.error();
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());

  auto reader_channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*reader)->port()), grpc::InsecureChannelCredentials());
  v1::PlatformModel model;
  grpc::Status status;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext context;
    v1::GetPlatformModelRequest request;
    request.set_platform("h100");
    status = v1::LatencyService::NewStub(reader_channel)->GetPlatformModel(&context, request, &model);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(model.sample_count(), 32);  // 40 stored, every fifth a failed measurement
}

}  // namespace
}  // namespace convlat::server
