// Corrupted real models: empty, truncated, bit-flipped. Each must load or fail with a message — never crash
// or hang — both in the loader and in Session::create (which plans the model). Runs under ASan/UBSan in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/mmap_file.h"
#include "edgerun/session.h"
#include "graph/ir.h"
#include "onnx/onnx_loader.h"
#include "test_data.h"
#include "unit/onnx_test_builder.h"

namespace edgerun {
namespace {

struct Tally {
  int loaded = 0, load_errors = 0, sessions = 0, session_errors = 0;
  std::map<std::string, int> codes;
};

bool in_range(int id, const Graph& g) { return id >= -1 && id < static_cast<int>(g.values.size()); }

// What the rest of edgerun relies on after a successful load; checked recursively into subgraphs.
void check_ir(const Graph& g, int depth = 0) {
  ASSERT_LT(depth, 200);
  for (int v : g.inputs) ASSERT_TRUE(v >= 0 && in_range(v, g));
  for (int v : g.outputs) ASSERT_TRUE(v >= 0 && in_range(v, g));
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    ASSERT_FALSE(n.op_type.empty());
    ASSERT_FALSE(n.name.empty());
    for (int v : n.inputs) {
      ASSERT_TRUE(in_range(v, g));
      if (v >= 0) ASSERT_LT(g.values[static_cast<size_t>(v)].producer, static_cast<int>(i));  // topological
    }
    for (int v : n.outputs) {
      ASSERT_TRUE(in_range(v, g));
      if (v >= 0) ASSERT_EQ(g.values[static_cast<size_t>(v)].producer, static_cast<int>(i));
    }
    for (const Attribute& a : n.attrs)
      if (a.g) check_ir(*a.g, depth + 1);
  }
  for (const Value& v : g.values) {
    ASSERT_LT(v.producer, static_cast<int>(g.nodes.size()));
    if (v.initializer.defined()) {
      ASSERT_EQ(v.initializer.nbytes(), static_cast<size_t>(v.initializer.numel()) * dtype_size(v.initializer.dtype()));
      // Touch the first and last byte: ASan would flag a view that points outside its buffer.
      if (v.initializer.nbytes()) {
        volatile uint8_t first = static_cast<const uint8_t*>(v.initializer.raw_data())[0];
        volatile uint8_t last = static_cast<const uint8_t*>(v.initializer.raw_data())[v.initializer.nbytes() - 1];
        (void)first;
        (void)last;
      }
    }
  }
}

// Loads `bytes`; when it loads and `plan` is set, also creates a Session (which plans the model).
void try_bytes(const std::string& bytes, Tally* tally, bool plan = true) {
  std::shared_ptr<MappedFile> file = MappedFile::from_bytes(bytes.data(), bytes.size());
  Expected<std::unique_ptr<Model>> m = load_onnx_model(file, "");
  if (!m.ok()) {
    ++tally->load_errors;
    ++tally->codes[status_code_name(m.status().code())];
    EXPECT_FALSE(m.status().message().empty());
    return;
  }
  ++tally->loaded;
  check_ir((*m)->graph);
  if (!plan) return;
  Expected<std::unique_ptr<Session>> s = Session::create(std::move(*m));
  if (s.ok()) {
    ++tally->sessions;
  } else {
    ++tally->session_errors;
    EXPECT_FALSE(s.status().message().empty());
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

class CorruptModel : public ::testing::TestWithParam<const char*> {};

TEST_P(CorruptModel, NeverCrashes) {
  std::string path = testing::model_path(GetParam());
  EDGERUN_REQUIRE_DATA(path);
  const std::string good = read_file(path);
  ASSERT_GT(good.size(), 1000u);
  const size_t n = good.size();
  auto start = std::chrono::steady_clock::now();

  Tally intact;
  try_bytes(good, &intact);
  EXPECT_EQ(intact.loaded, 1) << "the unmodified model must load";

  Tally empty;
  try_bytes(std::string(), &empty);
  EXPECT_EQ(empty.load_errors, 1);

  // Truncations: the first bytes, fractions, and the last bytes.
  std::vector<size_t> cuts = {1, 2, 3, 5, 8, 16, 64, 256, 1024, n / 8, n / 4, n / 3, n / 2, 2 * n / 3, 3 * n / 4,
                              n - 1000, n - 100, n - 16, n - 2, n - 1};
  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 4; ++i) cuts.push_back(rng() % n);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  Tally truncated;
  for (size_t cut : cuts)
    if (cut > 0 && cut < n) try_bytes(good.substr(0, cut), &truncated);
  EXPECT_EQ(truncated.loaded + truncated.load_errors, static_cast<int>(cuts.size()));

  // Bit flips. The graph structure sits mostly at the start (nodes) and the end (inputs, outputs, opsets) of the
  // file, the middle is weights, so a third of the flips go to each of those regions. Files over 4 MiB get fewer
  // copies, and in files over 1 MiB only every 5th copy is also planned (Session::create costs far more than a
  // load), to keep the run time bounded under sanitizers.
  const size_t region = std::min<size_t>(n, 64 * 1024);
  const int copies = static_cast<int>(std::clamp<size_t>(200 * (4u << 20) / n, 40, 200));
  const int plan_every = n > (1u << 20) ? 5 : 1;
  Tally flipped;
  std::string buf;
  for (int c = 0; c < copies; ++c) {
    buf = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t pos;
      switch (rng() % 3) {
        case 0: pos = rng() % n; break;
        case 1: pos = rng() % region; break;
        default: pos = n - 1 - rng() % region; break;
      }
      buf[pos] = static_cast<char>(buf[pos] ^ (1 << (rng() % 8)));
    }
    try_bytes(buf, &flipped, c % plan_every == 0);
    if (HasFatalFailure()) return;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << GetParam() << " (" << n << " bytes): " << cuts.size() << " truncations -> " << truncated.loaded
            << " loaded; " << copies << " bit-flipped copies -> " << flipped.loaded << " loaded ("
            << flipped.sessions << " sessions, " << flipped.session_errors << " session errors), "
            << flipped.load_errors << " load errors {";
  for (const auto& [code, count] : flipped.codes) std::cout << " " << code << ":" << count;
  std::cout << " }; " << secs << " s\n";
  EXPECT_GT(flipped.load_errors + flipped.loaded, 0);
}

INSTANTIATE_TEST_SUITE_P(RealModels, CorruptModel,
                         ::testing::Values("classification/mnist-8/model.onnx",
                                           "classification/mobilenetv2-12-int8/model.onnx",
                                           "classification/mobilenetv2-fp32-dequantized/model.onnx",
                                           "detection/yolox-nano/model.onnx", "detection/yolov8n-int8/model.onnx"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string s = info.param;
                           s = s.substr(s.find('/') + 1);
                           s = s.substr(0, s.find('/'));
                           std::replace_if(s.begin(), s.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return s;
                         });

// Random bytes, and random bytes behind a valid model prefix, straight into the loader.
TEST(CorruptModel, RandomBytes) {
  std::mt19937 rng(99);
  Tally t;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(rng() % 200, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng());
    try_bytes(bytes, &t);
  }
  // Messages built from valid pieces but shuffled fields: exercises the semantic checks, not only the wire ones.
  using namespace edgerun::testing;  // NOLINT
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> names = {"X", "W", "Y", "Z", ""};
    auto pick = [&] { return names[rng() % names.size()]; };
    GraphParts g;
    if (rng() % 2) g.initializers.push_back(tensor_f32(pick(), {static_cast<int64_t>(rng() % 4) - 1}, {1, 2}));
    if (rng() % 2) g.inputs.push_back(value_info(pick(), static_cast<int32_t>(rng() % 30), {3}));
    for (int k = static_cast<int>(rng() % 4); k > 0; --k)
      g.nodes.push_back(node(rng() % 5 ? "Relu" : "", {pick()}, {pick()}, "",
                             {rng() % 2 ? attr_int("a", 1) : attr_graph("g", std::string(rng() % 8, '\x0a'))}));
    if (rng() % 2) g.outputs.push_back(value_info(pick(), 1, {3}));
    try_bytes(model(graph(g)), &t);
  }
  std::cout << "random: " << t.loaded << " loaded, " << t.load_errors << " errors, " << t.sessions << " sessions\n";
  EXPECT_GT(t.load_errors, 0);
  EXPECT_GT(t.loaded, 0);
}

}  // namespace
}  // namespace edgerun
