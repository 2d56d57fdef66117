// Real models from shared/models (see its MANIFEST.md) against their reference outputs (ONNX Runtime or the ONNX
// Model Zoo), plus the errors Session must give for bad inputs and unknown ops. Each model test prints the largest
// error it saw, so a drift shows in the logs before it crosses a tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/mmap_file.h"
#include "edgerun/session.h"
#include "graph/ir.h"
#include "onnx/onnx_loader.h"
#include "onnx/tensor_proto.h"
#include "test_data.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using testing::model_path;

// test_data_set_0, test_data_set_1, ... in numeric order.
std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<fs::path> sets;
  for (int i = 0;; ++i) {
    fs::path p = dir / ("test_data_set_" + std::to_string(i));
    if (!fs::is_directory(p)) break;
    sets.push_back(p);
  }
  return sets;
}

// input_0.pb, input_1.pb, ... (prefix "input") or output_N.pb.
Expected<std::vector<Tensor>> read_tensors(const fs::path& set_dir, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    fs::path p = set_dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    ER_ASSIGN_OR_RETURN(Tensor t, read_tensor_proto_file(p.string()));
    out.push_back(std::move(t));
  }
  if (out.empty()) return not_found("no ", prefix, "_0.pb in ", set_dir.string());
  return out;
}

struct Errors {
  double max_abs = 0;      // max |got - ref| over the elements
  double max_abs_ref = 0;  // max |ref|
  int64_t worst = -1;      // flat index of max_abs
  int64_t non_finite = 0;  // elements where got is NaN/Inf
  double relative() const { return max_abs / std::max(max_abs_ref, 1e-30); }
};

Errors measure(const Tensor& got, const Tensor& ref) {
  Errors e;
  const float* g = got.data<float>();
  const float* r = ref.data<float>();
  for (int64_t i = 0; i < ref.numel(); ++i) {
    e.max_abs_ref = std::max(e.max_abs_ref, std::fabs(static_cast<double>(r[i])));
    if (!std::isfinite(g[i])) {
      ++e.non_finite;
      continue;
    }
    double d = std::fabs(static_cast<double>(g[i]) - r[i]);
    if (d > e.max_abs) {
      e.max_abs = d;
      e.worst = i;
    }
  }
  return e;
}

// Runs one data set and returns the errors of output 0 (all these models have one float32 output).
// `ref_out` / `got_out` receive the reference and the computed output.
Errors run_set(Session& s, const fs::path& set_dir, const std::string& label, Tensor* ref_out = nullptr,
               Tensor* got_out = nullptr) {
  Errors none;
  none.non_finite = -1;
  auto inputs = read_tensors(set_dir, "input");
  auto refs = read_tensors(set_dir, "output");
  EXPECT_TRUE(inputs.ok()) << inputs.status().to_string();
  EXPECT_TRUE(refs.ok()) << refs.status().to_string();
  if (!inputs.ok() || !refs.ok()) return none;
  std::vector<Tensor> outputs;
  auto start = std::chrono::steady_clock::now();
  Status st = s.run(*inputs, &outputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(st.ok()) << label << ": " << st.to_string();
  if (!st.ok() || outputs.empty()) return none;
  const Tensor& ref = (*refs)[0];
  const Tensor& got = outputs[0];
  EXPECT_EQ(got.dtype(), DType::kFloat32) << label;
  EXPECT_EQ(got.shape(), ref.shape()) << label << ": got " << shape_str(got.shape()) << ", reference "
                                      << shape_str(ref.shape());
  if (got.dtype() != DType::kFloat32 || ref.dtype() != DType::kFloat32 || got.shape() != ref.shape()) return none;
  Errors e = measure(got, ref);
  std::printf("[ %-40s ] %s: max abs err %.4g (at %lld: got %.6g, ref %.6g), max |ref| %.4g, relative %.3g, %.0f ms\n",
              label.c_str(), shape_str(got.shape()).c_str(), e.max_abs, static_cast<long long>(e.worst),
              e.worst >= 0 ? got.data<float>()[e.worst] : 0.0f, e.worst >= 0 ? ref.data<float>()[e.worst] : 0.0f,
              e.max_abs_ref, e.relative(), ms);
  EXPECT_EQ(e.non_finite, 0) << label << ": NaN/Inf in the output";
  if (ref_out) *ref_out = ref;
  if (got_out) *got_out = got;
  return e;
}

std::unique_ptr<Session> load_session(const std::string& path) {
  auto s = Session::load(path);
  EXPECT_TRUE(s.ok()) << path << ": " << s.status().to_string();
  return s.ok() ? std::move(*s) : nullptr;
}

// ---------------------------------------------------------------------------------------------------------------

// The logits reach |6575|, where one float32 step is 4.9e-4, so 1e-4 absolute alone cannot hold for any float32
// runtime (ONNX Runtime itself is 9e-4 away from these Model Zoo references). The limit is 1e-4 plus float32
// accumulation rounding scaled to the output: 1e-6 (about 8 float32 epsilons) of the largest |reference|.
TEST(SharedModels, Mnist8MatchesModelZooReference) {
  const fs::path dir = model_path("classification/mnist-8");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_session((dir / "model.onnx").string());
  ASSERT_TRUE(s);
  auto sets = data_sets(dir);
  ASSERT_EQ(sets.size(), 3u);
  double worst = 0, worst_limit = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    Errors e = run_set(*s, sets[i], "mnist-8 set " + std::to_string(i));
    ASSERT_GE(e.non_finite, 0);
    const double limit = 1e-4 + 1e-6 * e.max_abs_ref;
    EXPECT_LE(e.max_abs, limit) << "mnist-8 test_data_set_" << i;
    if (e.max_abs >= worst) {
      worst = e.max_abs;
      worst_limit = limit;
    }
  }
  std::printf("mnist-8: max abs err over 3 sets %.4g (limit for that set %.4g)\n", worst, worst_limit);
}

TEST(SharedModels, YoloxNanoMatchesOrt) {
  const fs::path dir = model_path("detection/yolox-nano");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_session((dir / "model.onnx").string());
  ASSERT_TRUE(s);
  Errors e = run_set(*s, dir / "test_data_set_0", "yolox-nano set 0");
  ASSERT_GE(e.non_finite, 0);
  std::printf("yolox-nano: relative err %.4g (limit 1e-3)\n", e.relative());
  EXPECT_LE(e.relative(), 1e-3);
}

int argmax(const Tensor& t) {
  const float* p = t.data<float>();
  return static_cast<int>(std::max_element(p, p + t.numel()) - p);
}

// The model's output is DequantizeLinear(uint8 logits), so each value is (q - zero_point) * scale: two runtimes that
// round one intermediate differently land one grid step apart. The step is the scale initializer of the model's last
// DequantizeLinear; as a cross-check, the smallest gap between distinct reference values must be a multiple of it.
//
// The references are ONNX Runtime's outputs on a CPU with AVX512-VNNI (exact 32-bit accumulation), kept in
// tests/models/data/mobilenetv2-12-int8: the output_0.pb files in shared/models come from ONNX Runtime's AVX2 kernel,
// whose int16 pair sums saturate, and are up to 51 steps away from the model's integer arithmetic (README.md there).
// Their distance is printed, not checked. Independently, the top-1 class must equal that of the float32 dequantized
// model (shared/models/classification/mobilenetv2-fp32-dequantized), which has no int8 arithmetic at all.
TEST(SharedModels, MobilenetV2Int8WithinOneQuantizationStep) {
  const fs::path dir = model_path("classification/mobilenetv2-12-int8");
  const fs::path exact_refs = fs::path(EDGERUN_SOURCE_DIR) / "tests/models/data/mobilenetv2-12-int8";
  const fs::path fp32_dir = model_path("classification/mobilenetv2-fp32-dequantized");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto model = load_onnx_model((dir / "model.onnx").string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  double step = 0;
  const Graph& g = (*model)->graph;
  for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
    if (it->op_type != "DequantizeLinear" || it->inputs.size() < 2 || it->inputs[1] < 0) continue;
    const Tensor& scale = g.values[static_cast<size_t>(it->inputs[1])].initializer;
    ASSERT_TRUE(scale.defined() && scale.dtype() == DType::kFloat32 && scale.numel() == 1)
        << "the last DequantizeLinear's scale is not a float32 scalar initializer";
    step = scale.data<float>()[0];
    break;
  }
  ASSERT_GT(step, 0) << "no DequantizeLinear with a scale initializer in the model";

  auto s = Session::create(std::move(*model));
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto sets = data_sets(dir);
  ASSERT_EQ(sets.size(), 6u);
  double worst = 0, worst_shared = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    const std::string label = "mobilenetv2-12-int8 set " + std::to_string(i);
    auto input = read_tensors(sets[i], "input");
    auto exact = read_tensor_proto_file((exact_refs / ("output_" + std::to_string(i) + ".pb")).string());
    auto shared = read_tensors(sets[i], "output");
    ASSERT_TRUE(input.ok() && exact.ok() && shared.ok())
        << input.status().to_string() << exact.status().to_string() << shared.status().to_string();
    std::vector<Tensor> out;
    Status st = (*s)->run(*input, &out);
    ASSERT_TRUE(st.ok()) << label << ": " << st.to_string();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].shape(), exact->shape());
    ASSERT_EQ(out[0].dtype(), DType::kFloat32);

    // Cross-check the step against the reference grid.
    std::vector<float> v(exact->data<float>(), exact->data<float>() + exact->numel());
    std::sort(v.begin(), v.end());
    double min_gap = 0;
    for (size_t k = 1; k < v.size(); ++k)
      if (v[k] != v[k - 1] && (min_gap == 0 || v[k] - v[k - 1] < min_gap)) min_gap = v[k] - v[k - 1];
    double multiple = min_gap / step;
    EXPECT_NEAR(multiple, std::round(multiple), 1e-3) << "reference values are not on the grid of step " << step;

    Errors e = measure(out[0], *exact);
    Errors e_shared = measure(out[0], (*shared)[0]);
    std::printf("[ %-40s ] max abs err %.4g (%.3g steps) vs exact reference; %.4g (%.3g steps) vs shared/models "
                "reference (AVX2, not checked); top-1 %d\n",
                label.c_str(), e.max_abs, e.max_abs / step, e_shared.max_abs, e_shared.max_abs / step,
                argmax(out[0]));
    EXPECT_EQ(e.non_finite, 0) << label;
    // One step, plus float rounding of (q - zp) * scale.
    EXPECT_LE(e.max_abs, step * (1 + 1e-5)) << label << ": more than one quantization step (" << step << ")";
    worst = std::max(worst, e.max_abs);
    worst_shared = std::max(worst_shared, e_shared.max_abs);

    auto fp32 = read_tensors(fp32_dir / ("test_data_set_" + std::to_string(i)), "output");
    if (fp32.ok()) {
      EXPECT_EQ(argmax(out[0]), argmax((*fp32)[0])) << label << ": top-1 differs from the float32 dequantized model";
    }
  }
  std::printf("mobilenetv2-12-int8: max abs err over 6 sets %.4g = %.3g steps (step %.4g, limit 1 step); "
              "vs the shared AVX2 references %.4g = %.3g steps\n",
              worst, worst / step, step, worst_shared, worst_shared / step);
}

TEST(SharedModels, MobilenetV2Fp32DequantizedMatchesOrt) {
  const fs::path dir = model_path("classification/mobilenetv2-fp32-dequantized");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_session((dir / "model.onnx").string());
  ASSERT_TRUE(s);
  auto sets = data_sets(dir);
  ASSERT_EQ(sets.size(), 6u);
  double worst = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    Errors e = run_set(*s, sets[i], "mobilenetv2-fp32-dequantized set " + std::to_string(i));
    ASSERT_GE(e.non_finite, 0);
    EXPECT_LE(e.relative(), 1e-3) << "set " << i;
    worst = std::max(worst, e.relative());
  }
  std::printf("mobilenetv2-fp32-dequantized: max relative err over 6 sets %.4g (limit 1e-3)\n", worst);
}

// YOLOv8n output0 [1, 84, 8400]: rows 0-3 = cx, cy, w, h in input pixels, rows 4-83 = class scores, per anchor.
struct Detection {
  int cls = 0;
  float score = 0;
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

float iou(const Detection& a, const Detection& b) {
  float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  float inter = w * h;
  float uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0 ? inter / uni : 0;
}

// The MANIFEST's post-processing: score = max class score, keep > 0.25, per-class NMS at IoU 0.45.
std::vector<Detection> yolov8_detections(const Tensor& out) {
  const int64_t n = out.dim(2);
  const float* p = out.data<float>();
  std::vector<Detection> cand;
  for (int64_t a = 0; a < n; ++a) {
    Detection d;
    d.score = -1;
    for (int c = 0; c < 80; ++c) {
      float sc = p[(4 + c) * n + a];
      if (sc > d.score) {
        d.score = sc;
        d.cls = c;
      }
    }
    if (d.score <= 0.25f) continue;
    float cx = p[a], cy = p[n + a], w = p[2 * n + a], h = p[3 * n + a];
    d.x1 = cx - w / 2;
    d.y1 = cy - h / 2;
    d.x2 = cx + w / 2;
    d.y2 = cy + h / 2;
    cand.push_back(d);
  }
  std::sort(cand.begin(), cand.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> keep;
  for (const Detection& d : cand) {
    bool suppressed = false;
    for (const Detection& k : keep)
      if (k.cls == d.cls && iou(k, d) > 0.45f) suppressed = true;
    if (!suppressed) keep.push_back(d);
  }
  return keep;
}

// Dynamic quantization rounds each activation to uint8 at run time, so one float ulp can flip a value that sits on a
// rounding tie, and the flip propagates through the model's 59 DynamicQuantizeLinear stages. The flips come from
// Sigmoid, where neither runtime is exact: edgerun's fast sigmoid is within 2 ulp (64% of outputs correctly rounded),
// ONNX Runtime's float Sigmoid is accurate only in absolute terms (up to 101 ulp for outputs in [0.01, 0.5), some
// tiny ones flushed to 0) and flips far more ties from /model.4 on. With every Sigmoid computed in float64 and rounded,
// both runtimes agree on all 59 quantized tensors bit for bit (measured with ORT 1.30, see docs/performance.md,
// "yolov8n-int8 and the reference scores"), so the remaining difference is ORT's approximation. On anchors no detector
// reports (class scores below 0.25) the outputs then differ by up to ~0.1 in score and ~40 px in box size, so "every
// element within 0.02" cannot hold against another runtime. What must hold is what the MANIFEST promises: the same
// detections, with scores within 0.02; checked here on every anchor whose reference score passes the 0.25 threshold
// (all 80 scores within 0.02, box values within 0.5% of the 640 px input) and on the NMS output.
TEST(SharedModels, Yolov8nInt8SameDetectionsAsOrt) {
  const fs::path dir = model_path("detection/yolov8n-int8");
  EDGERUN_REQUIRE_DATA(dir / "model.onnx");
  auto s = load_session((dir / "model.onnx").string());
  ASSERT_TRUE(s);
  Tensor ref, got;
  Errors e = run_set(*s, dir / "test_data_set_0", "yolov8n-int8 set 0", &ref, &got);
  ASSERT_GE(e.non_finite, 0);
  ASSERT_EQ(got.shape(), (Shape{1, 84, 8400}));

  const int64_t n = 8400;
  const float* g = got.data<float>();
  const float* r = ref.data<float>();
  double score_err = 0, box_err = 0;
  int confident = 0;
  for (int64_t a = 0; a < n; ++a) {
    float best = 0;
    for (int c = 4; c < 84; ++c) best = std::max(best, r[c * n + a]);
    if (best <= 0.25f) continue;
    ++confident;
    for (int c = 4; c < 84; ++c) score_err = std::max(score_err, std::fabs(static_cast<double>(g[c * n + a]) - r[c * n + a]));
    for (int c = 0; c < 4; ++c) box_err = std::max(box_err, std::fabs(static_cast<double>(g[c * n + a]) - r[c * n + a]));
  }
  std::printf("yolov8n-int8: max abs err over all elements %.4g (not checked); on the %d anchors with a reference "
              "score > 0.25: scores %.4g (limit 0.02), boxes %.4g px (limit 3.2)\n",
              e.max_abs, confident, score_err, box_err);
  EXPECT_GT(confident, 0);
  EXPECT_LE(score_err, 0.02);
  EXPECT_LE(box_err, 0.005 * 640);

  std::vector<Detection> want = yolov8_detections(ref), have = yolov8_detections(got);
  std::printf("yolov8n-int8: %zu detections (reference %zu)\n", have.size(), want.size());
  ASSERT_EQ(have.size(), want.size());
  std::vector<bool> used(have.size(), false);
  for (const Detection& w : want) {
    int match = -1;
    for (size_t k = 0; k < have.size(); ++k)
      if (!used[k] && have[k].cls == w.cls && iou(have[k], w) > 0.9f && std::fabs(have[k].score - w.score) <= 0.02f)
        match = static_cast<int>(k);
    EXPECT_GE(match, 0) << "no detection matches reference class " << w.cls << " score " << w.score << " box ["
                        << w.x1 << ", " << w.y1 << ", " << w.x2 << ", " << w.y2 << "]";
    if (match >= 0) used[static_cast<size_t>(match)] = true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(SharedModels, BadInputsGiveErrorsNamingTheInput) {
  const fs::path path = model_path("classification/mnist-8/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  auto s = load_session(path.string());
  ASSERT_TRUE(s);
  ASSERT_EQ(s->inputs().size(), 1u);
  const std::string name = s->inputs()[0].name;  // "Input3"
  ASSERT_EQ(name, "Input3");
  std::vector<Tensor> out;

  Status st = s->run({Tensor::empty(DType::kFloat32, {1, 1, 28, 27})}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "wrong shape: " << st.to_string();

  st = s->run({Tensor::empty(DType::kFloat32, {1, 28, 28})}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "wrong rank: " << st.to_string();

  st = s->run({Tensor::empty(DType::kInt32, {1, 1, 28, 28})}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "wrong dtype: " << st.to_string();

  st = s->run({}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "no inputs: " << st.to_string();

  st = s->run({Tensor::empty(DType::kFloat32, {1, 1, 28, 28}), Tensor::empty(DType::kFloat32, {1, 1, 28, 28})}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "two inputs: " << st.to_string();

  st = s->run({Tensor()}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), name)) << "undefined tensor: " << st.to_string();

  // The session still works after the errors.
  st = s->run({Tensor::empty(DType::kFloat32, {1, 1, 28, 28})}, &out);
  EXPECT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{1, 10}));
}

// A model built in memory through the IR: X -> Relu -> FancyOp -> com.example.Frobnicate -> Y.
TEST(SharedModels, UnknownOpsAreListedByCreate) {
  auto m = std::make_unique<Model>();
  m->ir_version = 8;
  m->opsets[""] = 13;
  m->opsets["com.example"] = 1;
  Graph& g = m->graph;
  int x = g.add_value("X"), a = g.add_value("a"), b = g.add_value("b"), y = g.add_value("Y");
  for (int v : {x, y}) {
    g.values[static_cast<size_t>(v)].dtype = DType::kFloat32;
    g.values[static_cast<size_t>(v)].has_shape = true;
    g.values[static_cast<size_t>(v)].shape = {1, 4};
  }
  auto add_node = [&](const char* op, const char* domain, int in, int out) {
    Node n;
    n.name = std::string(op) + "_node";
    n.op_type = op;
    n.domain = domain;
    n.inputs = {in};
    n.outputs = {out};
    g.values[static_cast<size_t>(out)].producer = static_cast<int>(g.nodes.size());
    g.nodes.push_back(n);
  };
  add_node("Relu", "", x, a);
  add_node("FancyOp", "", a, b);
  add_node("Frobnicate", "com.example", b, y);
  g.inputs = {x};
  g.outputs = {y};

  auto s = Session::create(std::move(m));
  ASSERT_FALSE(s.ok());
  const std::string msg = s.status().message();
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported) << s.status().to_string();
  EXPECT_TRUE(contains(msg, "FancyOp")) << msg;
  EXPECT_TRUE(contains(msg, "com.example.Frobnicate")) << msg;
  EXPECT_FALSE(contains(msg, "Relu")) << "Relu is supported: " << msg;
}

// Minimal protobuf writer for the same check through the ONNX file path.
std::string varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}
std::string field_varint(int field, uint64_t v) { return varint(static_cast<uint64_t>(field) << 3) + varint(v); }
std::string field_bytes(int field, const std::string& b) {
  return varint(static_cast<uint64_t>(field) << 3 | 2) + varint(b.size()) + b;
}

std::string value_info(const std::string& name) {  // float32 [1, 4]
  std::string dims = field_bytes(1, field_varint(1, 1)) + field_bytes(1, field_varint(1, 4));
  std::string tensor_type = field_varint(1, 1) + field_bytes(2, dims);
  return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type));
}

TEST(SharedModels, UnknownOpInOnnxFileIsListedByLoad) {
  std::string node = field_bytes(1, "X") + field_bytes(2, "Y") + field_bytes(3, "mystery") +
                     field_bytes(4, "TotallyUnknownOp");
  std::string graph = field_bytes(1, node) + field_bytes(2, "g") + field_bytes(11, value_info("X")) +
                      field_bytes(12, value_info("Y"));
  std::string model = field_varint(1, 8) + field_bytes(7, graph) +
                      field_bytes(8, field_bytes(1, "") + field_varint(2, 13));
  const std::string path = ::testing::TempDir() + "/edgerun_unknown_op.onnx";
  {
    std::ofstream f(path, std::ios::binary);
    f << model;
  }
  auto s = Session::load(path);
  ASSERT_FALSE(s.ok()) << "a model with an unknown op loaded";
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported) << s.status().to_string();
  EXPECT_TRUE(contains(s.status().message(), "TotallyUnknownOp")) << s.status().to_string();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace edgerun
