#include "server/batch_identity.h"

#include <openssl/evp.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace convlat::server {

std::string BatchContentDigest(const v1::MeasurementBatch& batch) {
  std::string canonical;
  {
    google::protobuf::io::StringOutputStream bytes(&canonical);
    google::protobuf::io::CodedOutputStream out(&bytes);
    // Deterministic, so that a future map field (or a protobuf that orders them differently)
    // cannot make one batch two digests within a build.
    out.SetSerializationDeterministic(true);
    for (const v1::Measurement& m : batch.measurements()) {
      out.WriteVarint64(m.ByteSizeLong());
      m.SerializeWithCachedSizes(&out);
    }
  }  // the stream flushes into `canonical` here
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // SHA-256 cannot fail on a buffer in memory; an empty result would only make every comparison
  // with it unequal, never a resend of different content equal.
  if (EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::Status CheckResend(const StoredBatch& stored, const v1::MeasurementBatch& batch, const std::string& digest) {
  std::vector<std::string> differences;
  if (stored.platform != batch.platform()) {
    differences.push_back(
        absl::StrCat("it was stored for platform '", stored.platform, "', not '", batch.platform(), "'"));
  }
  if (stored.content_digest.has_value() && *stored.content_digest != digest) {
    differences.push_back(absl::StrCat("its measurements differ (", stored.measurement_count, " stored, ",
                                       batch.measurements_size(), " sent)"));
  }
  if (differences.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("batch id '", batch.batch_id(),
                                               "' already names another batch: ", absl::StrJoin(differences, ", and "),
                                               "; nothing was stored (a new batch needs a new id)"));
}

}  // namespace convlat::server
