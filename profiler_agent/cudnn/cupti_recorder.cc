#include "profiler_agent/cudnn/cupti_recorder.h"

#include <cuda_runtime_api.h>
#include <cupti.h>
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "profiler_agent/cudnn/cuda_status.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

// CUPTI hands records over through C callbacks without a user pointer, so they land here.
// The callbacks run on CUPTI's threads, the recorder on the caller's.
ABSL_CONST_INIT absl::Mutex recorded_mutex(absl::kConstInit);
std::vector<KernelActivity> recorded_kernels ABSL_GUARDED_BY(recorded_mutex);
bool recorder_exists ABSL_GUARDED_BY(recorded_mutex) = false;
uint64_t dropped_records ABSL_GUARDED_BY(recorded_mutex) = 0;

constexpr size_t kActivityBufferBytes = 1 << 20;
constexpr size_t kActivityBufferAlignment = 8;  // CUPTI requires 8-byte aligned buffers

void CUPTIAPI OnBufferRequested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kActivityBufferAlignment, kActivityBufferBytes));
  *size = *buffer != nullptr ? kActivityBufferBytes : 0;
  *max_records = 0;  // as many as fit
}

void CUPTIAPI OnBufferCompleted(CUcontext context, uint32_t stream_id, uint8_t* buffer, size_t size,
                                size_t valid_size) {
  std::vector<KernelActivity> kernels;
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid_size, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      kernels.push_back(KernelActivityFromCupti(*reinterpret_cast<const CUpti_ActivityKernel10*>(record)));
    }
  }
  size_t dropped = 0;
  cuptiActivityGetNumDroppedRecords(context, stream_id, &dropped);
  std::free(buffer);
  absl::MutexLock lock(&recorded_mutex);
  recorded_kernels.insert(recorded_kernels.end(), kernels.begin(), kernels.end());
  dropped_records += dropped;
}

}  // namespace

KernelActivity KernelActivityFromCupti(const CUpti_ActivityKernel10& record) {
  KernelActivity activity;
  if (record.name != nullptr) activity.name = record.name;
  activity.grid_x = static_cast<uint32_t>(record.gridX);
  activity.grid_y = static_cast<uint32_t>(record.gridY);
  activity.grid_z = static_cast<uint32_t>(record.gridZ);
  activity.block_x = static_cast<uint32_t>(record.blockX);
  activity.block_y = static_cast<uint32_t>(record.blockY);
  activity.block_z = static_cast<uint32_t>(record.blockZ);
  activity.registers_per_thread = record.registersPerThread;
  activity.static_shared_memory_bytes = record.staticSharedMemory;
  activity.dynamic_shared_memory_bytes = record.dynamicSharedMemory;
  activity.start_ns = record.start;
  activity.end_ns = record.end;
  return activity;
}

std::string DemangleKernelName(absl::string_view name) {
  if (!absl::StartsWith(name, "_Z")) return std::string(name);
  const std::string mangled(name);
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && demangled != nullptr ? std::string(demangled) : mangled;
  std::free(demangled);
  return result;
}

v1::KernelRecord ToKernelRecord(const KernelActivity& activity) {
  v1::KernelRecord record;
  record.set_name(DemangleKernelName(activity.name));
  record.mutable_grid()->set_x(activity.grid_x);
  record.mutable_grid()->set_y(activity.grid_y);
  record.mutable_grid()->set_z(activity.grid_z);
  record.mutable_block()->set_x(activity.block_x);
  record.mutable_block()->set_y(activity.block_y);
  record.mutable_block()->set_z(activity.block_z);
  record.set_registers_per_thread(activity.registers_per_thread);
  record.set_static_shared_memory_bytes(activity.static_shared_memory_bytes);
  record.set_dynamic_shared_memory_bytes(activity.dynamic_shared_memory_bytes);
  // A record whose end precedes its start is broken; a zero says so rather than a huge duration.
  const uint64_t duration_ns = activity.end_ns > activity.start_ns ? activity.end_ns - activity.start_ns : 0;
  record.set_duration_us(static_cast<double>(duration_ns) / 1e3);
  return record;
}

absl::StatusOr<std::unique_ptr<CuptiKernelRecorder>> CuptiKernelRecorder::Create() {
  {
    absl::MutexLock lock(&recorded_mutex);
    if (recorder_exists) return absl::FailedPreconditionError("a CUPTI kernel recorder already exists in this process");
    recorder_exists = true;
  }
  absl::Status status = CuptiStatus(cuptiActivityRegisterCallbacks(OnBufferRequested, OnBufferCompleted),
                                    "cuptiActivityRegisterCallbacks");
  if (!status.ok()) {
    absl::MutexLock lock(&recorded_mutex);
    recorder_exists = false;
    return status;
  }
  return std::unique_ptr<CuptiKernelRecorder>(new CuptiKernelRecorder());
}

CuptiKernelRecorder::~CuptiKernelRecorder() {
  if (recording_) Stop().IgnoreError();
  absl::MutexLock lock(&recorded_mutex);
  recorder_exists = false;
}

absl::Status CuptiKernelRecorder::Start() {
  // Kernels still in flight from earlier work must not be counted as this run's.
  if (absl::Status s = CudaStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); !s.ok()) return s;
  {
    absl::MutexLock lock(&recorded_mutex);
    recorded_kernels.clear();
    dropped_records = 0;
  }
  if (absl::Status s = CuptiStatus(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL),
                                   "cuptiActivityEnable(CONCURRENT_KERNEL)");
      !s.ok()) {
    return s;
  }
  recording_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KernelActivity>> CuptiKernelRecorder::Stop() {
  if (!recording_) return absl::FailedPreconditionError("CuptiKernelRecorder::Stop without Start");
  recording_ = false;
  absl::Status status = CudaStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  // Forced: a flush otherwise leaves buffers that are not yet full with CUPTI.
  absl::Status flushed = CuptiStatus(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "cuptiActivityFlushAll");
  absl::Status disabled = CuptiStatus(cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL),
                                      "cuptiActivityDisable(CONCURRENT_KERNEL)");
  if (!status.ok()) return status;
  if (!flushed.ok()) return flushed;
  if (!disabled.ok()) return disabled;
  std::vector<KernelActivity> kernels;
  uint64_t dropped = 0;
  {
    absl::MutexLock lock(&recorded_mutex);
    kernels.swap(recorded_kernels);
    dropped = dropped_records;
  }
  if (dropped > 0) spdlog::warn("CUPTI dropped {} kernel records; the kernel list is incomplete", dropped);
  // Buffers may complete out of order; launch order is start-time order on one stream.
  std::stable_sort(kernels.begin(), kernels.end(),
                   [](const KernelActivity& a, const KernelActivity& b) { return a.start_ns < b.start_ns; });
  return kernels;
}

}  // namespace convlat::agent
