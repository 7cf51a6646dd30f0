#pragma once
// Small ONNX graphs written node by node, for tests of the importer and of the server's network
// queries: shapes only (initializers carry dims, no data), as convlat reads them.

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace convlat::testing {

class GraphBuilder {
 public:
  GraphBuilder() {
    model_.set_ir_version(7);
    model_.add_opset_import()->set_version(13);
  }
  GraphBuilder& Opset(int version) {
    model_.mutable_opset_import(0)->set_version(version);
    return *this;
  }
  // Sizes < 0 are symbolic ("dynamic1", ...).
  GraphBuilder& Input(const std::string& name, const std::vector<int64_t>& shape) {
    onnx::ValueInfoProto* input = model_.mutable_graph()->add_input();
    input->set_name(name);
    auto* tensor = input->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) {
      // A negative size is a symbolic dimension, as exporters write dynamic axes.
      auto* dim = tensor->mutable_shape()->add_dim();
      d < 0 ? dim->set_dim_param("dynamic" + std::to_string(-d)) : dim->set_dim_value(d);
    }
    return *this;
  }
  GraphBuilder& Weight(const std::string& name, const std::vector<int64_t>& shape) {
    onnx::TensorProto* tensor = model_.mutable_graph()->add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) tensor->add_dims(d);
    return *this;
  }
  // An integer constant with its values (Reshape targets and the like), as exporters keep them.
  GraphBuilder& Ints(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* tensor = model_.mutable_graph()->add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::INT64);
    tensor->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) tensor->add_int64_data(v);
    return *this;
  }
  onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    onnx::NodeProto* node = model_.mutable_graph()->add_node();
    node->set_op_type(op);
    node->set_name(output + "_node");
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(output);
    return *node;
  }
  GraphBuilder& Output(const std::string& name) {
    model_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }
  std::string Bytes() const { return model_.SerializeAsString(); }

 private:
  onnx::ModelProto model_;
};

inline void SetInts(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

}  // namespace convlat::testing
