#pragma once
// The body of PushMeasurements without gRPC: one batch of an agent's stream, stored or refused.

#include "convlat/v1/profiler.pb.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

// Validates and stores one batch, and queues a refit of its platform when anything new was stored.
// The outcome travels in the ack (a code and a message naming the field, "measurements[1].params.k
// must be > 0"), not as a status: one bad batch must not end the agent's stream. Never throws
// away stored data: a batch is stored whole or not at all.
v1::PushAck StoreBatch(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics,
                       const v1::MeasurementBatch& batch);

}  // namespace convlat::server
