// `edgerun bench`, run as a separate process (EDGERUN_CLI_PATH): the JSON report (keys, sane values, percentile
// order), the text report, --profile tables and their consistency with the latency, and usage errors.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "test_data.h"

namespace {

using edgerun::testing::model_path;
using edgerun::testing::CliResult;
using edgerun::testing::describe;
using edgerun::testing::run_cli;


// One "edgerun: error: ..." line on stderr and the expected exit code.
void expect_error(const CliResult& r, int code, const std::string& words) {
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, code) << describe(r);
  EXPECT_EQ(r.err.rfind("edgerun: error: ", 0), 0u) << describe(r);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line expected\n" << describe(r);
  EXPECT_NE(r.err.find(words), std::string::npos) << words << "\n" << describe(r);
}

const std::string kMnist = "classification/mnist-8/model.onnx";

nlohmann::json parse_json(const CliResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

TEST(CliBench, HelpIsListed) {
  CliResult h = run_cli({"--help"});
  EXPECT_NE(h.out.find("bench"), std::string::npos) << h.out;
  CliResult b = run_cli({"bench", "--help"});
  EXPECT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_NE(b.out.find("usage: edgerun bench"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("nearest rank"), std::string::npos) << b.out;
}

TEST(CliBench, JsonHasEveryKeyAndSaneValues) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--json", "--runs", "7", "--warmup", "2", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = parse_json(r);
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"model", "backend", "threads", "load_ms", "first_run_ms", "latency_ms", "fps", "peak_rss_mb",
                          "arena_bytes", "packed_weight_bytes", "runs", "warmup", "cpu", "cpu_mhz_start", "cpu_mhz_end",
                          "temperature_c_start", "temperature_c_end"})
    EXPECT_TRUE(j.contains(key)) << key << "\n" << r.out;
  EXPECT_FALSE(j.contains("profile"));
  EXPECT_EQ(j["model"], model);
  EXPECT_EQ(j["backend"], "cpu");
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["runs"], 7);
  EXPECT_EQ(j["warmup"], 2);
  const nlohmann::json& lat = j["latency_ms"];
  for (const char* key : {"mean", "p50", "p90", "p95", "p99", "min", "max"}) {
    ASSERT_TRUE(lat.contains(key) && lat[key].is_number()) << key << "\n" << r.out;
    EXPECT_GE(lat[key].get<double>(), 0.0) << key;
  }
  double mn = lat["min"], mx = lat["max"];
  EXPECT_LE(mn, lat["p50"].get<double>());
  EXPECT_LE(lat["p50"].get<double>(), lat["p90"].get<double>());
  EXPECT_LE(lat["p90"].get<double>(), lat["p95"].get<double>());
  EXPECT_LE(lat["p95"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), mx);
  EXPECT_LE(mn, lat["mean"].get<double>());
  EXPECT_LE(lat["mean"].get<double>(), mx);
  EXPECT_EQ(lat["p99"], lat["max"]);  // nearest rank with 7 samples: ceil(0.99 * 7) = 7
  EXPECT_GT(j["fps"].get<double>(), 0.0);
  EXPECT_GT(j["load_ms"].get<double>(), 0.0);
  EXPECT_GT(j["first_run_ms"].get<double>(), 0.0);
  EXPECT_GT(j["peak_rss_mb"].get<double>(), 0.5);
  EXPECT_LT(j["peak_rss_mb"].get<double>(), 4096.0);
  EXPECT_GT(j["arena_bytes"].get<int64_t>(), 0);
  EXPECT_GE(j["packed_weight_bytes"].get<int64_t>(), 0);
  for (const char* key : {"cpu_mhz_start", "cpu_mhz_end", "temperature_c_start", "temperature_c_end"})
    EXPECT_TRUE(j[key].is_null() || j[key].is_number()) << key;
  EXPECT_TRUE(j["cpu"].is_null() || j["cpu"].is_string());
}

TEST(CliBench, ProfileSumsToAboutTheLatency) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--json", "--profile", "--runs", "20", "--warmup", "3", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = parse_json(r);
  ASSERT_TRUE(j["profile"].is_array()) << r.out;
  ASSERT_TRUE(j["profile_by_op"].is_array()) << r.out;
  ASSERT_GE(j["profile"].size(), 5u) << r.out;  // mnist-8: 2 Conv, 2 MaxPool, MatMul, ...
  double sum = 0, percent = 0;
  bool saw_conv = false;
  for (const nlohmann::json& n : j["profile"]) {
    for (const char* key : {"name", "op_type", "variant", "ms", "percent", "gflops"})
      ASSERT_TRUE(n.contains(key)) << key << "\n" << n.dump();
    EXPECT_GE(n["ms"].get<double>(), 0.0);
    EXPECT_TRUE(n["gflops"].is_null() || n["gflops"].get<double>() > 0.0) << n.dump();
    sum += n["ms"].get<double>();
    percent += n["percent"].get<double>();
    if (n["op_type"] == "Conv" || n["op_type"].get<std::string>().find("Conv") != std::string::npos) {
      saw_conv = true;
      EXPECT_FALSE(n["variant"].get<std::string>().empty()) << n.dump();
    }
  }
  EXPECT_TRUE(saw_conv) << r.out;
  EXPECT_NEAR(percent, 100.0, 1.0);
  // The profile comes from its own pass of runs, so compare loosely: same order of magnitude as the latency.
  const nlohmann::json& lat = j["latency_ms"];
  EXPECT_GT(sum, 0.1 * lat["min"].get<double>()) << r.out;
  EXPECT_LT(sum, 5.0 * lat["max"].get<double>() + 5.0) << r.out;
  int64_t count = 0;
  double op_percent = 0;
  for (const nlohmann::json& o : j["profile_by_op"]) {
    for (const char* key : {"op_type", "count", "ms", "percent", "gflops"})
      ASSERT_TRUE(o.contains(key)) << key << "\n" << o.dump();
    count += o["count"].get<int64_t>();
    op_percent += o["percent"].get<double>();
  }
  EXPECT_EQ(count, static_cast<int64_t>(j["profile"].size()));
  EXPECT_NEAR(op_percent, 100.0, 1.0);
}

TEST(CliBench, TextReportAndProfileTables) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--runs", "5", "--warmup", "1", "--profile", "--top", "3"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* s : {"load:", "first run:", "latency (ms):", "p50", "p90", "p95", "p99", "FPS", "peak RSS:",
                        "arena:", "packed weights:", "cpu:", "cpu clock:", "cpu temp:", "top 3 nodes by time",
                        "variant", "GFLOP/s", "by op type:", "Conv"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

TEST(CliBench, ReferenceBackendAndSeed) {
  std::string model = model_path(kMnist);
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--json", "--runs", "2", "--warmup", "0", "--backend", "reference", "--seed",
                         "7", "--opt-level", "0"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = parse_json(r);
  EXPECT_EQ(j["backend"], "reference");
  EXPECT_EQ(j["runs"], 2);
}

TEST(CliBench, GeneratedTorchvisionModel) {
  std::string model = std::string(EDGERUN_SOURCE_DIR) + "/.cache/generated/torchvision/mobilenet_v2/model.onnx";
  EDGERUN_REQUIRE_DATA(model);
  CliResult r = run_cli({"bench", model, "--json", "--runs", "2", "--warmup", "0"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  nlohmann::json j = parse_json(r);
  EXPECT_GT(j["arena_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["peak_rss_mb"].get<double>(), 10.0);  // 14 MB of weights at least
}

TEST(CliBench, UsageErrorsExit2) {
  std::string model = model_path(kMnist);
  expect_error(run_cli({"bench"}), 2, "missing MODEL");
  expect_error(run_cli({"bench", model, "--frobnicate"}), 2, "unknown option '--frobnicate'");
  expect_error(run_cli({"bench", model, "--runs", "0"}), 2, "--runs");
  expect_error(run_cli({"bench", model, "--runs", "many"}), 2, "--runs");
  expect_error(run_cli({"bench", model, "--backend", "gpu"}), 2, "--backend");
  expect_error(run_cli({"bench", model, "--shape", "Input3=1xx28"}), 2, "--shape");
  if (std::filesystem::exists(model)) {
    expect_error(run_cli({"bench", model, "--shape", "nosuch=1x1x28x28"}), 2, "nosuch");
    expect_error(run_cli({"bench", model, "--shape", "Input3=1x3x28x28"}), 2, "fixed");
  }
}

TEST(CliBench, ModelLoadFailureExits1) {
  expect_error(run_cli({"bench", "/nonexistent/model.onnx"}), 1, "/nonexistent/model.onnx");
  char path[] = "/tmp/edgerun_bench_bad_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const char junk[] = "this is not an ONNX model";
  ASSERT_EQ(write(fd, junk, sizeof(junk)), static_cast<ssize_t>(sizeof(junk)));
  close(fd);
  expect_error(run_cli({"bench", path}), 1, "model");
  unlink(path);
}

}  // namespace
