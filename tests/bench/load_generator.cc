// A bounded load generator for a running convlat server: several client threads call Predict
// (N layers per request) or PredictNetwork (an ONNX model) back to back for a fixed time, then
// print throughput and latency percentiles as a Markdown table row. scripts/load.sh drives it.
//   load_generator --server 127.0.0.1:50051 --platform t4 --method predict --layers 64 --threads 4 --seconds 10
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "convlat/v1/latency.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "model/layers/conv_spec.h"
#include "model/onnx/weight_stripping.h"
#include "model/sweeps/sweeps.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "convlat server");
ABSL_FLAG(std::string, platform, "", "platform to predict for");
ABSL_FLAG(std::string, method, "predict", "predict (layers) or network (ONNX)");
ABSL_FLAG(int32_t, layers, 1, "predict: layers per request (real layers of the quick sweep, repeated)");
ABSL_FLAG(std::string, onnx, "", "network: the ONNX model");
ABSL_FLAG(int32_t, batch, 1, "network: batch");
ABSL_FLAG(int32_t, threads, 4, "client threads, one channel each, one call in flight per thread");
ABSL_FLAG(double, seconds, 10, "how long to keep calling");

namespace {

struct Worker {
  std::vector<double> latencies_us;
  int64_t errors = 0;
  std::string first_error;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string method = absl::GetFlag(FLAGS_method), platform = absl::GetFlag(FLAGS_platform);
  if (platform.empty() || (method != "predict" && method != "network")) {
    std::cerr << "usage: load_generator --platform P --method predict|network [--layers N | --onnx FILE]\n";
    return 2;
  }
  convlat::v1::PredictRequest predict;
  convlat::v1::PredictNetworkRequest network;
  int64_t layers_per_call = 0;
  if (method == "predict") {
    predict.set_platform(platform);
    const std::vector<convlat::v1::ConvParams> sweep = *convlat::model::NamedSweep("quick");
    for (int i = 0; i < absl::GetFlag(FLAGS_layers); ++i) *predict.add_layers() = sweep[i % sweep.size()];
    layers_per_call = predict.layers_size();
  } else {
    absl::StatusOr<std::string> stripped = convlat::model::ReadOnnxFileWithoutWeights(absl::GetFlag(FLAGS_onnx));
    if (!stripped.ok()) {
      std::cerr << "--onnx: " << stripped.status().message() << "\n";
      return 2;
    }
    network.set_platform(platform);
    network.set_onnx_model(*stripped);
    network.set_batch(absl::GetFlag(FLAGS_batch));
  }

  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  std::vector<Worker> workers(threads);
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // One channel per thread: each gets its own connection, as independent clients would.
      grpc::ChannelArguments args;
      args.SetInt("convlat.load.thread", t);
      args.SetMaxReceiveMessageSize(64 << 20);
      auto stub = convlat::v1::LatencyService::NewStub(
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), args));
      Worker& worker = workers[t];
      while (std::chrono::steady_clock::now() < deadline) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        const auto sent = std::chrono::steady_clock::now();
        grpc::Status status;
        if (method == "predict") {
          convlat::v1::PredictResponse response;
          status = stub->Predict(&context, predict, &response);
        } else {
          convlat::v1::PredictNetworkResponse response;
          status = stub->PredictNetwork(&context, network, &response);
        }
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - sent).count();
        if (status.ok()) {
          worker.latencies_us.push_back(us);
        } else if (worker.errors++ == 0) {
          worker.first_error = status.error_message();
        }
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> all;
  int64_t errors = 0;
  for (Worker& worker : workers) {
    all.insert(all.end(), worker.latencies_us.begin(), worker.latencies_us.end());
    errors += worker.errors;
    if (!worker.first_error.empty()) std::cerr << "error: " << worker.first_error << "\n";
  }
  std::sort(all.begin(), all.end());
  const double calls_per_second = static_cast<double>(all.size()) / elapsed;
  const std::string what = method == "predict" ? absl::StrFormat("Predict, %d layers/call", layers_per_call)
                                               : absl::StrFormat("PredictNetwork, %s batch %d",
                                                                 absl::GetFlag(FLAGS_onnx), absl::GetFlag(FLAGS_batch));
  std::cout << absl::StrFormat("| %s | %d | %zu | %lld | %.0f | %s | %.0f | %.0f | %.0f |\n", what, threads, all.size(),
                               static_cast<long long>(errors), calls_per_second,
                               method == "predict" ? absl::StrFormat("%.0f", calls_per_second * layers_per_call) : "-",
                               Percentile(all, 0.5), Percentile(all, 0.99), all.empty() ? 0.0 : all.back());
  return errors > 0 ? 1 : 0;
}
