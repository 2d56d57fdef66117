// edgerun bench MODEL: whole-model benchmark on seeded random inputs. Load time, first run, warmup, timed runs
// (mean and nearest-rank percentiles), FPS, peak RSS, memory plan, and the machine's CPU model, clock and
// temperature before and after; --profile adds per-node and per-op-type tables; --json prints one object.
// With --image, a detection model is measured end to end per frame instead: decode (from the file's bytes in
// memory) + preprocess + inference + postprocess, each stage with its own percentiles.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli_args.h"
#include "cli_model.h"
#include "cli_session.h"
#include "commands.h"
#include "core/sysinfo.h"
#include "edgerun/detect.h"
#include "edgerun/vision.h"

namespace edgerun::cli {
namespace {

const CommandSpec kSpec = {
    "bench",
    "MODEL [--runs N] [--warmup N] [--threads N] [--shape NAME=DIMS]... [--json] [--profile] [options]\n"
    "       edgerun bench MODEL --image IMG [--runs N] [--warmup N] [--threads N] [--json]",
    "Benchmark a model on seeded random inputs: load time, first-run time, latency over --runs timed runs\n"
    "(mean, p50, p90, p95, p99, min, max), FPS, peak RSS, arena and packed-weight bytes, and the CPU model,\n"
    "clock and temperature at start and end (\"n/a\" where the machine does not expose them).\n"
    "With --image, a detection model (as for edgerun detect) is timed end to end per frame on a real image.",
    {
        {"--image", "IMG",
         "end-to-end detection benchmark: each frame decodes IMG from its bytes in memory, letterboxes, runs and "
         "post-processes (NMS); per-stage percentiles. Not with --shape, --seed or --profile"},
        {"--runs", "N", "timed runs (default 50)"},
        {"--warmup", "N", "untimed runs after the first run, before the timed ones (default 5)"},
        threads_option(),
        affinity_option(),
        {"--shape", "NAME=DIMS",
         "shape of an input with dynamic dims, e.g. input=1x3x224x224 (default: dynamic dims = 1)", true},
        backend_option(),
        {"--opt-level", "L", "graph optimization level (default 1; 0 runs the graph as written)"},
        {"--seed", "N", "seed for the random inputs (default 0)"},
        {"--profile", "",
         "after the timed runs, run --runs more with per-node timing and print the top nodes and a per-op-type "
         "table (% of total, GFLOP/s, kernel variant)"},
        {"--top", "N", "nodes listed by --profile in text mode (default 20; 0 = all)"},
        {"--json", "", "print one JSON object instead of text"},
    },
    "percentiles: nearest rank on the sorted latencies of the timed runs: pP = sorted[ceil(P/100 * N) - 1].\n"
    "FPS = 1000 / mean latency (one inference at a time).\n"
    "\n"
    "JSON format (stable; fields may be added):\n"
    "  {\"model\": PATH, \"backend\": STR, \"threads\": INT, \"runs\": INT, \"warmup\": INT, \"load_ms\": F,\n"
    "   \"first_run_ms\": F, \"latency_ms\": {\"mean\", \"p50\", \"p90\", \"p95\", \"p99\", \"min\", \"max\"}, "
    "\"fps\": F,\n"
    "   \"peak_rss_mb\": F, \"arena_bytes\": INT, \"packed_weight_bytes\": INT, \"cpu\": STR|null,\n"
    "   \"cpu_mhz_start\"/\"cpu_mhz_end\": F|null, \"temperature_c_start\"/\"temperature_c_end\": F|null, ...}\n"
    "  with --profile also \"profile\": [{\"name\", \"op_type\", \"variant\", \"ms\", \"percent\", \"gflops\"}] and\n"
    "  \"profile_by_op\": [{\"op_type\", \"count\", \"ms\", \"percent\", \"gflops\"}]; gflops is GFLOP/s, null if not "
    "counted.\n"
    "\n"
    "with --image, JSON format (stable; fields may be added):\n"
    "  {\"model\": PATH, \"image\": PATH, \"image_width\": INT, \"image_height\": INT, \"detector\": STR,\n"
    "   \"input_width\": INT, \"input_height\": INT, \"backend\": STR, \"threads\": INT, \"runs\": INT,\n"
    "   \"warmup\": INT, \"load_ms\": F, \"first_frame_ms\": F, \"detections\": INT,\n"
    "   \"stages_ms\": {\"decode\", \"preprocess\", \"inference\", \"postprocess\", \"total\": {\"mean\", \"p50\",\n"
    "   \"p90\", \"p95\", \"p99\", \"min\", \"max\"}}, \"fps\": F, \"peak_rss_mb\": F, \"cpu\": STR|null, ...}\n"
    "  total = the wall time of the whole frame; fps = 1000 / mean total; detections = count in the last frame\n"
    "  (default thresholds: conf 0.25, IoU 0.45).\n"
    "\n"
    "examples:\n"
    "  edgerun bench mnist.onnx\n"
    "  edgerun bench resnet18.onnx --threads 4 --runs 100 --profile\n"
    "  edgerun bench model.onnx --shape input=1x3x224x224 --json > result.json\n"
    "  edgerun bench yolov8n.onnx --image bus.jpg --threads 2 --runs 30\n",
};

struct LatencyStats {
  double mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, min = 0, max = 0;
};

// Nearest rank: the smallest sample such that at least P% of the samples are <= it.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

LatencyStats latency_stats(std::vector<double> times) {
  LatencyStats s;
  if (times.empty()) return s;
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (double t : times) sum += t;
  s.mean = sum / static_cast<double>(times.size());
  s.p50 = percentile(times, 50), s.p90 = percentile(times, 90), s.p95 = percentile(times, 95);
  s.p99 = percentile(times, 99), s.min = times.front(), s.max = times.back();
  return s;
}

struct Telemetry {
  std::optional<SensorReading> temperature, frequency;
};

Telemetry read_telemetry() { return {cpu_temperature_c(), cpu_frequency_mhz()}; }

// GFLOP/s from FLOPs per run and ms per run; nullopt when the kernel counts no FLOPs.
std::optional<double> gflops_per_s(double flops, double ms) {
  if (flops <= 0 || ms <= 0) return std::nullopt;
  return flops / ms / 1e6;
}

struct OpTotal {
  std::string op_type;
  int64_t count = 0;
  double ms = 0, flops = 0;
};

std::vector<OpTotal> by_op_type(const std::vector<Session::NodeProfile>& nodes) {
  std::vector<OpTotal> ops;
  std::map<std::string, size_t> index;
  for (const Session::NodeProfile& n : nodes) {
    auto [it, added] = index.emplace(n.op_type, ops.size());
    if (added) ops.push_back({n.op_type});
    OpTotal& t = ops[it->second];
    ++t.count, t.ms += n.mean_ms, t.flops += n.flops;
  }
  std::stable_sort(ops.begin(), ops.end(), [](const OpTotal& a, const OpTotal& b) { return a.ms > b.ms; });
  return ops;
}

nlohmann::ordered_json opt_json(const std::optional<SensorReading>& r) {
  if (!r) return nullptr;
  return std::round(r->value * 10.0) / 10.0;
}

std::string opt_text(const std::optional<SensorReading>& r, const char* unit, const char* fmt = "%.0f") {
  if (!r) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, r->value);
  return std::string(buf) + " " + unit;
}

// "2096 MHz at start, 2300 MHz at end (cpufreq ...)" or "n/a".
std::string start_end_text(const std::optional<SensorReading>& a, const std::optional<SensorReading>& b,
                           const char* unit, const char* fmt) {
  if (!a && !b) return "n/a";
  std::string source = a ? a->source : b->source;
  return opt_text(a, unit, fmt) + " at start, " + opt_text(b, unit, fmt) + " at end (" + source + ")";
}

std::string gflops_text(std::optional<double> g) {
  if (!g) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", *g);
  return buf;
}

std::string truncate(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

void print_profile(const std::vector<Session::NodeProfile>& nodes, double total_ms, int64_t runs, int64_t top,
                   double mean_latency) {
  std::vector<size_t> order(nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return nodes[a].mean_ms > nodes[b].mean_ms; });
  size_t shown = top > 0 ? std::min(order.size(), static_cast<size_t>(top)) : order.size();
  size_t wn = 4, wo = 7, wv = 7;
  for (size_t k = 0; k < shown; ++k) {
    const Session::NodeProfile& n = nodes[order[k]];
    wn = std::max(wn, std::min<size_t>(n.node.size(), 40));
    wo = std::max(wo, std::min<size_t>(n.op_type.size(), 32));
    wv = std::max(wv, std::min<size_t>(n.variant.size(), 40));
  }
  std::printf("\nprofile: %lld runs, %zu nodes, %.3f ms per run in nodes (mean latency %.3f ms)\n",
              static_cast<long long>(runs), nodes.size(), total_ms, mean_latency);
  std::printf("top %zu nodes by time:\n", shown);
  std::printf("  %-*s  %-*s  %-*s  %10s  %6s  %8s\n", static_cast<int>(wn), "node", static_cast<int>(wo), "op_type",
              static_cast<int>(wv), "variant", "ms", "%", "GFLOP/s");
  for (size_t k = 0; k < shown; ++k) {
    const Session::NodeProfile& n = nodes[order[k]];
    std::printf("  %-*s  %-*s  %-*s  %10.4f  %6.2f  %8s\n", static_cast<int>(wn), truncate(n.node, 40).c_str(),
                static_cast<int>(wo), truncate(n.op_type, 32).c_str(), static_cast<int>(wv),
                truncate(n.variant.empty() ? "-" : n.variant, 40).c_str(), n.mean_ms,
                total_ms > 0 ? 100.0 * n.mean_ms / total_ms : 0.0,
                gflops_text(gflops_per_s(n.flops, n.mean_ms)).c_str());
  }
  std::vector<OpTotal> ops = by_op_type(nodes);
  std::printf("by op type:\n");
  std::printf("  %-*s  %5s  %10s  %6s  %8s\n", static_cast<int>(wo), "op_type", "count", "ms", "%", "GFLOP/s");
  for (const OpTotal& t : ops)
    std::printf("  %-*s  %5lld  %10.4f  %6.2f  %8s\n", static_cast<int>(wo), truncate(t.op_type, 32).c_str(),
                static_cast<long long>(t.count), t.ms, total_ms > 0 ? 100.0 * t.ms / total_ms : 0.0,
                gflops_text(gflops_per_s(t.flops, t.ms)).c_str());
}

struct FrameBenchOptions {
  int64_t runs = 50, warmup = 5, opt_level = 1;
  SessionOptions session;
  bool json = false;
};

// End-to-end detection benchmark: per frame decode + preprocess + inference + postprocess.
int bench_image(const std::string& model_path, const std::string& image_path, const FrameBenchOptions& o) {
  std::ifstream f(image_path, std::ios::binary);
  if (!f) return report_error(str_cat("cannot read image '", image_path, "'"));
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return report_error(str_cat("cannot read image '", image_path, "'"));
  int image_w = 0, image_h = 0;
  {  // a bad image is reported before the model is loaded; its pixels are freed before memory is measured
    auto probe = vision::decode_image(bytes.data(), bytes.size());
    if (!probe.ok()) return report_error(str_cat("cannot decode image '", image_path, "': ", probe.status().message()));
    image_w = probe->width, image_h = probe->height;
  }

  const std::string cpu = cpu_model_name();
  const Telemetry start = read_telemetry();
  double t0 = now_ms();
  auto detector_or = vision::Detector::load(model_path, vision::DetectOptions{}, o.session);
  if (!detector_or.ok()) return report_error(str_cat(model_path, ": ", detector_or.status().message()));
  const double load_ms = now_ms() - t0;
  vision::Detector& detector = **detector_or;
  for (const std::string& note : detector.notes()) report_note(note);

  struct Frame {
    double decode = 0, preprocess = 0, inference = 0, postprocess = 0, total = 0;
    size_t detections = 0;
  };
  auto frame = [&](Frame* fr) -> Status {
    double a = now_ms();
    ER_ASSIGN_OR_RETURN(vision::Image img, vision::decode_image(bytes.data(), bytes.size()));
    double b = now_ms();
    ER_ASSIGN_OR_RETURN(vision::DetectResult r, detector.detect(img));
    fr->total = now_ms() - a;
    fr->decode = b - a;
    fr->preprocess = r.timings.preprocess_ms;
    fr->inference = r.timings.inference_ms;
    fr->postprocess = r.timings.postprocess_ms;
    fr->detections = r.detections.size();
    return Status();
  };
  Frame first_frame, fr;
  if (Status st = frame(&first_frame); !st.ok()) return report_error(st);
  for (int64_t i = 0; i < o.warmup; ++i)
    if (Status st = frame(&fr); !st.ok()) return report_error(st);
  std::vector<double> decode, preprocess, inference, postprocess, total;
  for (int64_t i = 0; i < o.runs; ++i) {
    if (Status st = frame(&fr); !st.ok()) return report_error(st);
    decode.push_back(fr.decode), preprocess.push_back(fr.preprocess), inference.push_back(fr.inference);
    postprocess.push_back(fr.postprocess), total.push_back(fr.total);
  }
  const Telemetry end = read_telemetry();
  const uint64_t peak_rss = peak_rss_bytes();
  const struct {
    const char* name;
    LatencyStats stats;
  } stages[] = {{"decode", latency_stats(decode)},
                {"preprocess", latency_stats(preprocess)},
                {"inference", latency_stats(inference)},
                {"postprocess", latency_stats(postprocess)},
                {"total", latency_stats(total)}};
  const LatencyStats& tot = stages[4].stats;
  const double fps = tot.mean > 0 ? 1000.0 / tot.mean : 0.0;
  const int threads = detector.session().threads();
  const std::string backend = detector.session().backend();

  if (o.json) {
    auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
    nlohmann::ordered_json j;
    j["model"] = model_path;
    j["image"] = image_path;
    j["image_width"] = image_w;
    j["image_height"] = image_h;
    j["detector"] = detector.describe();
    j["input_width"] = detector.input_width();
    j["input_height"] = detector.input_height();
    j["backend"] = backend;
    j["threads"] = threads;
    j["opt_level"] = o.opt_level;
    j["runs"] = o.runs;
    j["warmup"] = o.warmup;
    j["load_ms"] = r3(load_ms);
    j["first_frame_ms"] = r3(first_frame.total);
    j["detections"] = fr.detections;
    nlohmann::ordered_json st;
    for (const auto& s : stages)
      st[s.name] = {{"mean", r3(s.stats.mean)}, {"p50", r3(s.stats.p50)}, {"p90", r3(s.stats.p90)},
                    {"p95", r3(s.stats.p95)},   {"p99", r3(s.stats.p99)}, {"min", r3(s.stats.min)},
                    {"max", r3(s.stats.max)}};
    j["stages_ms"] = st;
    j["fps"] = std::round(fps * 100.0) / 100.0;
    j["peak_rss_mb"] = std::round(static_cast<double>(peak_rss) / 1048576.0 * 100.0) / 100.0;
    j["cpu"] = cpu.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(cpu);
    j["cpu_mhz_start"] = opt_json(start.frequency);
    j["cpu_mhz_end"] = opt_json(end.frequency);
    j["temperature_c_start"] = opt_json(start.temperature);
    j["temperature_c_end"] = opt_json(end.temperature);
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("model:          %s\n", model_path.c_str());
  std::printf("detector:       %s\n", detector.describe().c_str());
  std::printf("image:          %s (%dx%d, %s bytes), %zu detections\n", image_path.c_str(), image_w, image_h,
              format_count(bytes.size()).c_str(), fr.detections);
  std::printf("backend:        %s, %d thread%s, opt level %lld\n", backend.c_str(), threads, threads == 1 ? "" : "s",
              static_cast<long long>(o.opt_level));
  std::printf("cpu:            %s\n", cpu.empty() ? "n/a" : cpu.c_str());
  std::printf("cpu clock:      %s\n", start_end_text(start.frequency, end.frequency, "MHz", "%.0f").c_str());
  std::printf("cpu temp:       %s\n", start_end_text(start.temperature, end.temperature, "C", "%.1f").c_str());
  std::printf("load:           %.3f ms\n", load_ms);
  std::printf("first frame:    %.3f ms\n", first_frame.total);
  std::printf("runs:           %lld timed frames after %lld warmup\n", static_cast<long long>(o.runs),
              static_cast<long long>(o.warmup));
  std::printf("stage (ms)      %9s  %9s  %9s  %9s  %9s  %9s\n", "mean", "p50", "p90", "p99", "min", "max");
  for (const auto& s : stages)
    std::printf("  %-12s  %9.3f  %9.3f  %9.3f  %9.3f  %9.3f  %9.3f\n", s.name, s.stats.mean, s.stats.p50, s.stats.p90,
                s.stats.p99, s.stats.min, s.stats.max);
  std::printf("throughput:     %.2f FPS end to end\n", fps);
  std::printf("peak RSS:       %s\n", peak_rss ? format_bytes(peak_rss).c_str() : "n/a");
  return kExitOk;
}

}  // namespace

int cmd_bench(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return report_usage_error(kSpec,
                              args.positional.empty()
                                  ? "missing MODEL"
                                  : "expected one MODEL, got " + std::to_string(args.positional.size()) + " arguments");
  auto runs = parse_int("--runs", args.get("--runs", "50"), 1, 10000000);
  auto warmup = parse_int("--warmup", args.get("--warmup", "5"), 0, 10000000);
  auto session_options = session_options_from_args(args);
  auto seed = parse_int("--seed", args.get("--seed", "0"), 0, INT64_MAX);
  auto opt_level = parse_int("--opt-level", args.get("--opt-level", "1"), 0, 9);
  auto top = parse_int("--top", args.get("--top", "20"), 0, 1000000);
  for (const Status* st : {&runs.status(), &warmup.status(), &session_options.status(), &seed.status(),
                           &opt_level.status(), &top.status()})
    if (!st->ok()) return report_usage_error(kSpec, st->message());
  for (const std::string& v : args.all("--shape")) {  // syntax first, before the model is read
    auto s = parse_named_shape(v);
    if (!s.ok()) return report_usage_error(kSpec, "--shape " + v + ": " + s.status().message());
  }
  const bool json = args.has("--json"), profile = args.has("--profile");
  if (args.has("--image")) {
    for (const char* other : {"--shape", "--seed", "--profile", "--top"})
      if (args.has(other)) return report_usage_error(kSpec, str_cat(other, " cannot be combined with --image"));
    if (args.get("--image").empty()) return report_usage_error(kSpec, "--image needs an image file");
    FrameBenchOptions fo;
    fo.runs = *runs, fo.warmup = *warmup, fo.opt_level = *opt_level, fo.json = json;
    fo.session = *session_options;
    fo.session.optimization_level = static_cast<int>(*opt_level);
    return bench_image(args.positional[0], args.get("--image"), fo);
  }

  const std::string path = args.positional[0];
  auto loaded = load_model(path);
  if (!loaded.ok()) return report_error(loaded.status().message());
  std::vector<IoSpec> inputs = model_inputs(**loaded);
  auto shapes = parse_shape_options(args.all("--shape"), inputs);
  if (!shapes.ok()) return report_usage_error(kSpec, shapes.status().message());

  std::vector<Tensor> tensors;
  std::mt19937 rng(static_cast<uint32_t>(*seed));
  for (const IoSpec& in : inputs) {
    auto t = random_input(in, *shapes, rng);
    if (!t.ok()) return report_error(t.status().message());
    tensors.push_back(std::move(*t));
  }
  loaded->reset();  // the timed load below reads the file again, as an application would

  SessionOptions options = *session_options;
  options.optimization_level = static_cast<int>(*opt_level);
  for (size_t i = 0; i < inputs.size(); ++i) {
    bool dynamic = !inputs[i].has_shape || !shape_fully_known(inputs[i].spec.shape);
    if (dynamic || shapes->count(inputs[i].spec.name)) options.input_shapes[inputs[i].spec.name] = tensors[i].shape();
  }

  const std::string cpu = cpu_model_name();
  const Telemetry start = read_telemetry();

  // Load = parse + plan (Session::load plans when every input shape is known).
  double t0 = now_ms();
  auto session_or = Session::load(path, options);
  if (!session_or.ok()) return report_error(session_or.status());
  const double load_ms = now_ms() - t0;
  Session& session = **session_or;
  const std::string backend = session.backend();  // "auto" resolved

  std::vector<Tensor> out;
  auto timed_run = [&](double* ms) -> Status {
    out.clear();
    double t = now_ms();
    Status st = session.run(tensors, &out);
    *ms = now_ms() - t;
    return st;
  };
  double first_run_ms = 0, ms = 0;
  if (Status st = timed_run(&first_run_ms); !st.ok()) return report_error(st);
  for (int64_t i = 0; i < *warmup; ++i)
    if (Status st = timed_run(&ms); !st.ok()) return report_error(st);
  std::vector<double> times;
  times.reserve(static_cast<size_t>(*runs));
  for (int64_t i = 0; i < *runs; ++i) {
    if (Status st = timed_run(&ms); !st.ok()) return report_error(st);
    times.push_back(ms);
  }
  const LatencyStats lat = latency_stats(times);

  // Profiling gets its own pass so that its clock reads do not perturb the latency numbers above.
  std::vector<Session::NodeProfile> nodes;
  double profile_total_ms = 0;
  if (profile) {
    session.enable_profiling(true);
    for (int64_t i = 0; i < *runs; ++i)
      if (Status st = timed_run(&ms); !st.ok()) return report_error(st);
    nodes = session.profile();
    session.enable_profiling(false);
    for (const Session::NodeProfile& n : nodes) profile_total_ms += n.mean_ms;
  }

  const Telemetry end = read_telemetry();
  const Session::Stats stats = session.stats();
  const uint64_t peak_rss = peak_rss_bytes();
  const double fps = lat.mean > 0 ? 1000.0 / lat.mean : 0.0;

  if (json) {
    auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };  // microsecond resolution is plenty
    nlohmann::ordered_json j;
    j["model"] = path;
    j["backend"] = backend;
    j["threads"] = session.threads();
    j["opt_level"] = *opt_level;
    j["runs"] = *runs;
    j["warmup"] = *warmup;
    j["seed"] = *seed;
    nlohmann::ordered_json in_json = nlohmann::ordered_json::array();
    for (size_t i = 0; i < inputs.size(); ++i)
      in_json.push_back(
          {{"name", inputs[i].spec.name}, {"dtype", dtype_name(tensors[i].dtype())}, {"shape", tensors[i].shape()}});
    j["inputs"] = in_json;
    j["load_ms"] = r3(load_ms);
    j["first_run_ms"] = r3(first_run_ms);
    j["latency_ms"] = {{"mean", r3(lat.mean)}, {"p50", r3(lat.p50)}, {"p90", r3(lat.p90)}, {"p95", r3(lat.p95)},
                       {"p99", r3(lat.p99)},   {"min", r3(lat.min)}, {"max", r3(lat.max)}};
    j["fps"] = std::round(fps * 100.0) / 100.0;
    j["peak_rss_mb"] = std::round(static_cast<double>(peak_rss) / 1048576.0 * 100.0) / 100.0;
    j["arena_bytes"] = stats.arena_bytes;
    j["packed_weight_bytes"] = stats.packed_weight_bytes;
    j["steps"] = stats.steps;
    j["cpu"] = cpu.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(cpu);
    j["cpu_mhz_start"] = opt_json(start.frequency);
    j["cpu_mhz_end"] = opt_json(end.frequency);
    j["temperature_c_start"] = opt_json(start.temperature);
    j["temperature_c_end"] = opt_json(end.temperature);
    if (profile) {
      auto pct = [&](double v) {
        return profile_total_ms > 0 ? std::round(10000.0 * v / profile_total_ms) / 100.0 : 0.0;
      };
      auto gf = [](double flops, double v) -> nlohmann::ordered_json {
        auto g = gflops_per_s(flops, v);
        if (!g) return nullptr;
        return std::round(*g * 1000.0) / 1000.0;
      };
      nlohmann::ordered_json p = nlohmann::ordered_json::array();
      for (const Session::NodeProfile& n : nodes)
        p.push_back({{"name", n.node},
                     {"op_type", n.op_type},
                     {"variant", n.variant},
                     {"ms", std::round(n.mean_ms * 1e5) / 1e5},
                     {"percent", pct(n.mean_ms)},
                     {"flops", n.flops},
                     {"gflops", gf(n.flops, n.mean_ms)}});
      j["profile"] = p;
      nlohmann::ordered_json po = nlohmann::ordered_json::array();
      for (const OpTotal& t : by_op_type(nodes))
        po.push_back({{"op_type", t.op_type},
                      {"count", t.count},
                      {"ms", std::round(t.ms * 1e5) / 1e5},
                      {"percent", pct(t.ms)},
                      {"flops", t.flops},
                      {"gflops", gf(t.flops, t.ms)}});
      j["profile_by_op"] = po;
    }
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  std::string shape_text;
  for (size_t i = 0; i < inputs.size(); ++i)
    shape_text += (i ? ", " : "") + inputs[i].spec.name + " " + dtype_name(tensors[i].dtype()) + " " +
                  shape_str(tensors[i].shape());
  std::printf("model:          %s\n", path.c_str());
  std::printf("inputs:         %s (random, seed %lld)\n", shape_text.empty() ? "(none)" : shape_text.c_str(),
              static_cast<long long>(*seed));
  std::printf("backend:        %s, %d thread%s, opt level %lld\n", backend.c_str(), session.threads(),
              session.threads() == 1 ? "" : "s", static_cast<long long>(*opt_level));
  std::printf("cpu:            %s\n", cpu.empty() ? "n/a" : cpu.c_str());
  std::printf("cpu clock:      %s\n", start_end_text(start.frequency, end.frequency, "MHz", "%.0f").c_str());
  std::printf("cpu temp:       %s\n", start_end_text(start.temperature, end.temperature, "C", "%.1f").c_str());
  std::printf("load:           %.3f ms\n", load_ms);
  std::printf("first run:      %.3f ms\n", first_run_ms);
  std::printf("runs:           %lld timed after %lld warmup\n", static_cast<long long>(*runs),
              static_cast<long long>(*warmup));
  std::printf("latency (ms):   mean %.3f  p50 %.3f  p90 %.3f  p95 %.3f  p99 %.3f  min %.3f  max %.3f\n", lat.mean,
              lat.p50, lat.p90, lat.p95, lat.p99, lat.min, lat.max);
  std::printf("throughput:     %.2f FPS\n", fps);
  std::printf("peak RSS:       %s\n", peak_rss ? format_bytes(peak_rss).c_str() : "n/a");
  std::printf("arena:          %s (%s)\n", format_count(stats.arena_bytes).c_str(),
              format_bytes(stats.arena_bytes).c_str());
  std::printf("packed weights: %s (%s)\n", format_count(stats.packed_weight_bytes).c_str(),
              format_bytes(stats.packed_weight_bytes).c_str());
  if (profile) print_profile(nodes, profile_total_ms, *runs, *top, lat.mean);
  return kExitOk;
}

}  // namespace edgerun::cli
