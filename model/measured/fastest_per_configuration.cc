#include "model/measured/fastest_per_configuration.h"

#include "absl/container/flat_hash_map.h"
#include "model/layers/conv_shape.h"
#include "model/measured/op_configuration.h"

namespace convlat::model {

std::vector<const v1::Measurement*> FastestPerConfiguration(const std::vector<v1::Measurement>& measurements,
                                                            absl::FunctionRef<bool(const v1::Measurement&)> keep) {
  absl::flat_hash_map<ConvShape, size_t> conv_index;  // configuration → its place in `fastest`
  absl::flat_hash_map<OpConfiguration, size_t> op_index;
  std::vector<const v1::Measurement*> fastest;
  for (const v1::Measurement& m : measurements) {
    if (!keep(m)) continue;
    auto place = [&](auto& index, auto key) {
      const auto [it, inserted] = index.try_emplace(std::move(key), fastest.size());
      if (inserted) {
        fastest.push_back(&m);
      } else if (m.latency().median_us() < fastest[it->second]->latency().median_us()) {
        fastest[it->second] = &m;  // a faster algorithm of a configuration already seen
      }
    };
    if (m.has_op()) {
      place(op_index, OpConfiguration::Of(m.op()));
    } else {
      place(conv_index, ResolveConvShape(m.params()));
    }
  }
  return fastest;
}

}  // namespace convlat::model
