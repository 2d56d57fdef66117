// Runs one ONNX node on given tensors through the real planner (prepare + run), for op tests.
//
//   OpTest t("Conv");
//   t.attr_ints("pads", {1, 1, 1, 1});
//   auto out = t.run({x, w, b});            // Expected<std::vector<Tensor>>
//   t.constant_inputs = {false, true, true}; // make W, B initializers (exercise folding/packing)
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "edgerun/tensor.h"
#include "graph/ir.h"
#include "runtime/plan.h"

namespace edgerun::testing {

class OpTest {
 public:
  explicit OpTest(std::string op_type, int64_t opset = 17, std::string domain = "")
      : op_type_(std::move(op_type)), domain_(std::move(domain)), opset_(opset) {}

  OpTest& attr_int(const std::string& n, int64_t v) { return add(n, AttrType::kInt, [&](Attribute& a) { a.i = v; }); }
  OpTest& attr_float(const std::string& n, float v) { return add(n, AttrType::kFloat, [&](Attribute& a) { a.f = v; }); }
  OpTest& attr_string(const std::string& n, const std::string& v) { return add(n, AttrType::kString, [&](Attribute& a) { a.s = v; }); }
  OpTest& attr_ints(const std::string& n, const std::vector<int64_t>& v) { return add(n, AttrType::kInts, [&](Attribute& a) { a.ints = v; }); }
  OpTest& attr_floats(const std::string& n, const std::vector<float>& v) { return add(n, AttrType::kFloats, [&](Attribute& a) { a.floats = v; }); }
  OpTest& attr_tensor(const std::string& n, const Tensor& v) { return add(n, AttrType::kTensor, [&](Attribute& a) { a.t = v; }); }

  std::vector<bool> constant_inputs;  // per input: true = initializer (default: all graph inputs)
  int num_outputs = 1;

  // An undefined Tensor in `inputs` means "omitted optional input".
  Expected<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) {
    Model m;
    m.opsets[""] = domain_.empty() ? opset_ : 17;
    if (!domain_.empty()) m.opsets[domain_] = opset_;
    Graph& g = m.graph;
    Node n;
    n.name = "test_node";
    n.op_type = op_type_;
    n.domain = domain_;
    n.attrs = attrs_;
    std::vector<Tensor> graph_inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].defined()) {
        n.inputs.push_back(-1);
        continue;
      }
      int v = g.add_value("in" + std::to_string(i));
      g.values[static_cast<size_t>(v)].dtype = inputs[i].dtype();
      if (i < constant_inputs.size() && constant_inputs[i]) {
        g.values[static_cast<size_t>(v)].initializer = inputs[i];
      } else {
        g.inputs.push_back(v);
        graph_inputs.push_back(inputs[i]);
      }
      n.inputs.push_back(v);
    }
    for (int o = 0; o < num_outputs; ++o) {
      int v = g.add_value("out" + std::to_string(o));
      g.values[static_cast<size_t>(v)].producer = 0;
      n.outputs.push_back(v);
      g.outputs.push_back(v);
    }
    g.nodes.push_back(n);
    auto plan = Plan::build(m, graph_inputs);
    if (!plan.ok()) return plan.status();
    std::vector<Tensor> outs;
    Status st = (*plan)->run(graph_inputs, &outs);
    if (!st.ok()) return st;
    return outs;
  }

 private:
  template <class F>
  OpTest& add(const std::string& n, AttrType t, F&& set) {
    Attribute a;
    a.name = n;
    a.type = t;
    set(a);
    attrs_.push_back(a);
    return *this;
  }
  std::string op_type_, domain_;
  int64_t opset_;
  std::vector<Attribute> attrs_;
};

inline Tensor random_tensor(Shape shape, uint32_t seed = 1, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

inline Tensor float_tensor(Shape shape, const std::vector<float>& v) {
  return Tensor::from_vector<float>(DType::kFloat32, std::move(shape), v);
}

inline Tensor int64_tensor(Shape shape, const std::vector<int64_t>& v) {
  return Tensor::from_vector<int64_t>(DType::kInt64, std::move(shape), v);
}

// Max |a-b| over all elements; shapes must match (fails the test otherwise).
inline void expect_near(const Tensor& got, const Tensor& want, float tol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), want.dtype());
  for (int64_t i = 0; i < got.numel(); ++i) {
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], tol) << "at flat index " << i;
  }
}

}  // namespace edgerun::testing
