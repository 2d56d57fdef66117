// conformance_runner: runs the ONNX backend test data (node/, plus simple/ and pytorch-*/ as extra
// information) through edgerun::Session and reports, per op, how many tests pass.
//
//   conformance_runner [--data DIR]... [--filter SUBSTR] [--verbose] [--check] [--markdown FILE]
//                      [--list-failures] [--data-label TEXT] [--timeout S] [--threads N] [--no-fork]
//
// Tests run in a forked worker process with an alarm per test, so an op that crashes or hangs is reported as that
// test's failure instead of ending the whole run. docs/operators.md is generated from this (scripts/gen_operators_doc.sh).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "conformance_types.h"
#include "edgerun/session.h"
#include "graph/ir.h"
#include "markdown_report.h"
#include "model_scan.h"
#include "onnx/onnx_loader.h"
#include "onnx/tensor_proto.h"
#include "op_attribution.h"
#include "ops/op_registry.h"
#include "tensor_compare.h"

#ifndef EDGERUN_DEFAULT_ONNX_TESTS_DIR
#define EDGERUN_DEFAULT_ONNX_TESTS_DIR ""
#endif

namespace fs = std::filesystem;
using namespace edgerun;
using namespace edgerun::conformance;

namespace {

constexpr int64_t kMaxElements = int64_t{64} << 20;  // larger tensors are skipped (guards time and memory)
constexpr double kPassThreshold = 0.95;
const char* const kSuites[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};

struct Options {
  std::vector<std::string> data_dirs;
  std::string filter;
  bool verbose = false;
  bool check = false;
  bool list_failures = false;
  bool fork = true;
  std::string markdown;
  std::string data_label;
  int timeout_s = 30;
  int threads = 1;
};

void usage() {
  std::fprintf(stderr,
               "usage: conformance_runner [--data DIR]... [--filter SUBSTR] [--verbose] [--check]\n"
               "                          [--markdown FILE] [--list-failures] [--data-label TEXT]\n"
               "                          [--timeout SECONDS] [--threads N] [--no-fork]\n"
               "  --data DIR       ONNX backend test data root (holding node/, simple/, ...) or one suite folder;\n"
               "                   default $EDGERUN_ONNX_TESTS_DIR, else %s,\n"
               "                   else /usr/share/libonnx-testdata/data\n"
               "  --filter SUBSTR  only tests whose name contains SUBSTR\n"
               "  --verbose        list every non-passing test with its reason\n"
               "  --check          exit 1 if a supported op passes fewer than 95%% of its counted node tests\n"
               "  --markdown FILE  write the operator coverage document (docs/operators.md)\n"
               "  --list-failures  print the failing tests, one per line: suite, test, op, reason\n"
               "  --data-label     how the data is named in the markdown (e.g. \"ONNX 1.22.0 backend test data\")\n"
               "  --timeout S      per-test limit in seconds (default 30)\n"
               "  --threads N      session threads (default 1)\n"
               "  --no-fork        run tests in-process (for a debugger; a crash then ends the run)\n",
               EDGERUN_DEFAULT_ONNX_TESTS_DIR);
}

bool parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "conformance: %s needs a value\n", a.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--data") {
      if (!value(&v)) return false;
      o->data_dirs.push_back(v);
    } else if (a == "--filter") {
      if (!value(&o->filter)) return false;
    } else if (a == "--markdown") {
      if (!value(&o->markdown)) return false;
    } else if (a == "--data-label") {
      if (!value(&o->data_label)) return false;
    } else if (a == "--timeout" || a == "--threads") {
      if (!value(&v)) return false;
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || n < 0 || n > 100000) {
        std::fprintf(stderr, "conformance: bad value for %s: %s\n", a.c_str(), v.c_str());
        return false;
      }
      (a == "--timeout" ? o->timeout_s : o->threads) = static_cast<int>(n);
    } else if (a == "--verbose" || a == "-v") {
      o->verbose = true;
    } else if (a == "--check") {
      o->check = true;
    } else if (a == "--list-failures") {
      o->list_failures = true;
    } else if (a == "--no-fork") {
      o->fork = false;
    } else if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else {
      std::fprintf(stderr, "conformance: unknown argument '%s'\n", a.c_str());
      usage();
      return false;
    }
  }
  return true;
}

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("cannot open ", path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return bytes;
}

bool edgerun_holds(int32_t onnx_type) {
  return dtype_is_valid(onnx_type) && dtype_size(static_cast<DType>(onnx_type)) > 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Discovery

std::vector<std::string> list_data_sets(const std::string& dir) {
  std::vector<std::pair<long, std::string>> sets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (!e.is_directory() || n.rfind("test_data_set_", 0) != 0) continue;
    sets.emplace_back(std::strtol(n.c_str() + 14, nullptr, 10), e.path().string());
  }
  std::sort(sets.begin(), sets.end());
  std::vector<std::string> out;
  for (auto& s : sets) out.push_back(s.second);
  return out;
}

void collect_suite(const std::string& suite, const std::string& dir, const Options& o, std::vector<TestCase>* out) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_directory() || !fs::exists(e.path() / "model.onnx")) continue;
    std::string n = e.path().filename().string();
    if (!o.filter.empty() && n.find(o.filter) == std::string::npos) continue;
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    TestCase t;
    t.suite = suite;
    t.name = n;
    t.dir = dir + "/" + n;
    t.data_sets = list_data_sets(t.dir);
    out->push_back(std::move(t));
  }
}

// `dir` is a data root (holding node/ ...) or one suite folder (holding test_*/model.onnx).
void collect_tests(const std::string& dir, const Options& o, std::vector<TestCase>* out) {
  bool root = false;
  for (const char* s : kSuites) {
    if (fs::is_directory(fs::path(dir) / s)) {
      root = true;
      collect_suite(s, dir + "/" + s, o, out);
    }
  }
  if (!root) {
    std::string suite = fs::path(dir).filename().string();
    if (suite.empty()) suite = fs::path(dir).parent_path().filename().string();
    collect_suite(suite, dir, o, out);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Classification before running (in the parent, from an independent scan of the files)

std::string op_with_opset(const ScannedNode& n, int64_t opset) {
  return str_cat(n.domain.empty() ? "" : n.domain + ".", n.op_type, " (opset ", opset, ")");
}

// Returns true and fills `r` when the test cannot run for a reason that is not edgerun's failure: an op (version)
// that is not registered, a type edgerun does not hold (the worker then only checks that the loader refuses the
// model cleanly), or tensors too large to run here.
bool precheck(const TestCase& t, TestResult* r) {
  const OpRegistry& reg = OpRegistry::get();
  std::vector<std::string> missing;
  for (const ScannedNode& n : t.scan.nodes) {
    int64_t opset = t.scan.opset(n.domain);
    if (reg.find(n.domain, n.op_type, opset)) continue;
    std::string s = op_with_opset(n, opset);
    if (std::find(missing.begin(), missing.end(), s) == missing.end()) missing.push_back(s);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& s : missing) list += (list.empty() ? "" : ", ") + s;
    *r = {Outcome::kUnsupportedOp, "not registered: " + list};
    return true;
  }

  std::set<std::string> types;  // reasons, deduplicated
  for (int32_t ty : t.scan.tensor_types)
    if (ty != 0 && !edgerun_holds(ty)) types.insert(onnx_type_name(ty));
  auto check_io = [&](const ScannedIo& io, const char* what) {
    if (io.kind != ValueKind::kTensor && io.kind != ValueKind::kUnknown)
      types.insert(str_cat(value_kind_name(io.kind), " ", what, " '", io.name, "'"));
  };
  for (const ScannedIo& io : t.scan.inputs) check_io(io, "input");
  for (const ScannedIo& io : t.scan.outputs) check_io(io, "output");

  // Data files: the types they hold and their sizes.
  int64_t largest = 0;
  std::string largest_file;
  for (const std::string& ds : t.data_sets) {
    for (int side = 0; side < 2; ++side) {
      const auto& ios = side == 0 ? t.scan.inputs : t.scan.outputs;
      for (size_t k = 0;; ++k) {
        std::string path = str_cat(ds, side == 0 ? "/input_" : "/output_", k, ".pb");
        if (!fs::exists(path)) break;
        if (k < ios.size() && ios[k].kind != ValueKind::kTensor) continue;  // sequence/optional protos
        auto bytes = read_file(path);
        if (!bytes.ok()) continue;  // the child reports it
        auto h = scan_tensor_header(bytes->data(), bytes->size());
        if (!h.ok()) continue;
        if (h->data_type != 0 && !edgerun_holds(h->data_type)) types.insert(onnx_type_name(h->data_type));
        int64_t n = 1;  // saturates just above the limit
        for (int64_t d : h->dims) {
          if (d <= 0) {  // empty (or invalid: the child reports that)
            n = 0;
            break;
          }
          n = (d > kMaxElements || n > kMaxElements / d) ? kMaxElements + 1 : n * d;
        }
        if (n > largest) {
          largest = n;
          largest_file = fs::path(path).filename().string();
        }
      }
    }
  }
  if (!types.empty()) {
    std::string list;
    for (const std::string& s : types) list += (list.empty() ? "" : ", ") + s;
    *r = {Outcome::kUnsupportedDtype, "uses " + list};
    return true;
  }
  if (largest > kMaxElements) {
    *r = {Outcome::kSkipped, str_cat(largest_file, " has more than ", kMaxElements, " elements")};
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Running one test (in the child)

TestResult fail(std::string reason) { return {Outcome::kFail, std::move(reason)}; }

Expected<std::vector<Tensor>> read_tensors(const std::string& dir, const char* prefix) {
  std::vector<Tensor> out;
  for (size_t k = 0;; ++k) {
    std::string path = str_cat(dir, "/", prefix, k, ".pb");
    if (!fs::exists(path)) break;
    auto t = read_tensor_proto_file(path);
    if (!t.ok()) return t.status().with_context(str_cat("reading ", prefix, k, ".pb"));
    out.push_back(std::move(*t));
  }
  return out;
}

// Older ONNX test data (e.g. Debian's 1.12 libonnx-testdata) stores bfloat16 tensors as uint16 bit patterns,
// because numpy has no bfloat16. Reinterpret them when the model declares bfloat16 there.
void as_bfloat16_if_declared(Tensor* t, DType declared) {
  if (declared != DType::kBFloat16 || t->dtype() != DType::kUInt16) return;
  Tensor b = Tensor::empty(DType::kBFloat16, t->shape());
  if (t->nbytes()) std::memcpy(b.raw_data(), t->raw_data(), t->nbytes());
  *t = std::move(b);
}

// Only loads the model: for tests with types edgerun does not hold, the loader must refuse them with a Status.
TestResult run_load_only(const TestCase& t, const std::string& dtype_reason) {
  auto model = load_onnx_model(t.dir + "/model.onnx");
  if (model.ok()) return {Outcome::kUnsupportedDtype, dtype_reason + " (the loader accepted the model)"};
  return {Outcome::kUnsupportedDtype, dtype_reason + "; loader: " + model.status().to_string()};
}

// Tests whose reference data is wrong in an older ONNX release; the same tests pass on the ONNX 1.22 data.
// Only applied to Debian's libonnx-testdata (ONNX 1.12), reported as skipped with the reason.
const char* known_bad_reference(const TestCase& t) {
  if (t.dir.find("/libonnx-testdata/") == std::string::npos) return nullptr;
  const std::string name = fs::path(t.dir).filename().string();
  if (name == "test_cast_FLOAT_to_BFLOAT16")
    return "ONNX 1.12 reference truncates float -> bfloat16; ONNX rounds to nearest even (fixed in later data)";
  if (name.rfind("test_castlike_BFLOAT16_to_FLOAT", 0) == 0 || name.rfind("test_castlike_FLOAT_to_BFLOAT16", 0) == 0)
    return "ONNX 1.12 data feeds 'like' with shape [1] while the model declares 3x4 (fixed in later data)";
  return nullptr;
}

TestResult run_test(const TestCase& t, const Options& o) {
  if (const char* why = known_bad_reference(t)) return {Outcome::kSkipped, why};
  auto model = load_onnx_model(t.dir + "/model.onnx");
  if (!model.ok()) return fail("load: " + model.status().to_string());
  SessionOptions so;
  so.threads = o.threads;
  auto created = Session::create(std::move(*model), so);
  if (!created.ok()) return fail("Session::create: " + created.status().to_string());
  Session& session = **created;
  if (t.data_sets.empty()) return fail("no test_data_set_* folder");
  double max_abs = 0;
  for (const std::string& ds : t.data_sets) {
    std::string set_name = fs::path(ds).filename().string();
    auto inputs = read_tensors(ds, "input_");
    if (!inputs.ok()) return fail(set_name + ": " + inputs.status().to_string());
    auto want = read_tensors(ds, "output_");
    if (!want.ok()) return fail(set_name + ": " + want.status().to_string());
    for (size_t k = 0; k < inputs->size() && k < session.inputs().size(); ++k)
      as_bfloat16_if_declared(&(*inputs)[k], session.inputs()[k].dtype);
    for (size_t k = 0; k < want->size() && k < session.outputs().size(); ++k)
      as_bfloat16_if_declared(&(*want)[k], session.outputs()[k].dtype);
    if (inputs->size() != session.inputs().size())
      return fail(str_cat(set_name, ": the test gives ", inputs->size(), " inputs, the session has ",
                          session.inputs().size()));
    std::vector<Tensor> got;
    Status st = session.run(*inputs, &got);
    if (!st.ok()) return fail(set_name + ": run: " + st.to_string());
    if (got.size() != want->size())
      return fail(str_cat(set_name, ": ", got.size(), " outputs, expected ", want->size()));
    for (size_t k = 0; k < got.size(); ++k) {
      CompareResult c = compare_tensors(got[k], (*want)[k]);
      if (!c.ok) {
        std::string name = k < session.outputs().size() ? session.outputs()[k].name : "";
        return fail(str_cat(set_name, ": output ", k, " '", name, "': ", c.reason));
      }
      max_abs = std::max(max_abs, c.max_abs_err);
    }
  }
  return {Outcome::kPass, max_abs > 0 ? str_cat("max abs err ", static_cast<float>(max_abs)) : ""};
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One test to run: the test and, for tests whose types edgerun does not hold, the precheck's reason (then only the
// loader is exercised).
struct Job {
  TestCase* test = nullptr;
  bool load_only = false;
  std::string dtype_reason;
};

TestResult run_job(const Job& j, const Options& o) {
  return j.load_only ? run_load_only(*j.test, j.dtype_reason) : run_test(*j.test, o);
}

// Runs the jobs in a forked worker process, one after the other, with an alarm per test. The worker streams one
// record per finished test ("<job>\t<outcome>\t<reason bytes>\n<reason>"). If it dies, the job it was on gets the
// crash (or timeout) as its result and a new worker continues with the next job. One fork per crash rather than
// one per test keeps the run fast on a loaded machine.
void run_jobs(std::vector<Job>& jobs, const Options& o) {
  if (!o.fork) {
    for (Job& j : jobs) j.test->result = run_job(j, o);
    return;
  }
  size_t next = 0;
  while (next < jobs.size()) {
    int fds[2];
    if (::pipe(fds) != 0) {
      for (size_t k = next; k < jobs.size(); ++k) jobs[k].test->result = fail(str_cat("pipe: ", std::strerror(errno)));
      return;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      for (size_t k = next; k < jobs.size(); ++k) jobs[k].test->result = fail(str_cat("fork: ", std::strerror(errno)));
      return;
    }
    if (pid == 0) {
      ::close(fds[0]);
      for (size_t k = next; k < jobs.size(); ++k) {
        ::alarm(static_cast<unsigned>(o.timeout_s));
        TestResult r = run_job(jobs[k], o);
        ::alarm(0);
        std::string rec = str_cat(k, "\t", static_cast<int>(r.outcome), "\t", r.reason.size(), "\n", r.reason);
        if (!write_all(fds[1], rec)) ::_exit(3);
      }
      std::fflush(stdout);
      std::fflush(stderr);
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string buf;
    char chunk[65536];
    size_t done = next;  // jobs before this one have results
    for (;;) {
      ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      for (;;) {  // parse complete records
        size_t nl = buf.find('\n');
        if (nl == std::string::npos) break;
        size_t k = 0, len = 0;
        int code = -1;
        if (std::sscanf(buf.c_str(), "%zu\t%d\t%zu", &k, &code, &len) != 3) break;
        if (buf.size() < nl + 1 + len) break;
        if (k == done && code >= 0 && code <= static_cast<int>(Outcome::kSkipped)) {
          jobs[k].test->result = {static_cast<Outcome>(code), buf.substr(nl + 1, len)};
          ++done;
        }
        buf.erase(0, nl + 1 + len);
      }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (done >= jobs.size()) break;
    // The worker died on job `done`.
    std::string stage = jobs[done].load_only ? "loading a model with an unsupported type" : "running";
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
      jobs[done].test->result = fail(str_cat("timed out after ", o.timeout_s, " s (", stage, ")"));
    } else if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      jobs[done].test->result = fail(str_cat("crashed (", stage, "): signal ", sig, " (", strsignal(sig), ")"));
    } else {
      jobs[done].test->result = fail(str_cat("the test process exited with status ",
                                             WIFEXITED(status) ? WEXITSTATUS(status) : -1, " (", stage, ")"));
    }
    next = done + 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting

std::string one_line(std::string s, size_t max = 400) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::string tally_line(const OpTally& t) {
  std::string line = str_cat("pass ", t.pass, "/", t.counted(), "  (fail ", t.fail, ", unsupported-dtype ",
                             t.unsupported_dtype);
  if (t.unsupported_op) line += str_cat(", unsupported-op ", t.unsupported_op);
  if (t.skipped) line += str_cat(", skipped ", t.skipped);
  line += ")";
  if (t.below(kPassThreshold)) line += "  BELOW 95%";
  return line;
}

void print_test(const TestCase& t, const char* indent) {
  std::printf("%s%-52s %-17s %s\n", indent, t.name.c_str(), outcome_name(t.result.outcome),
              one_line(t.result.reason).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, &o)) return 2;

  // Where the data is.
  std::vector<std::string> tried;
  if (o.data_dirs.empty()) {
    const char* env = std::getenv("EDGERUN_ONNX_TESTS_DIR");
    std::vector<std::string> candidates;
    if (env && *env) candidates.push_back(env);
    if (*EDGERUN_DEFAULT_ONNX_TESTS_DIR) candidates.push_back(EDGERUN_DEFAULT_ONNX_TESTS_DIR);
    candidates.push_back("/usr/share/libonnx-testdata/data");
    for (const std::string& c : candidates) {
      tried.push_back(c);
      if (fs::is_directory(c)) {
        o.data_dirs.push_back(c);
        break;
      }
    }
  } else {
    for (const std::string& d : o.data_dirs) tried.push_back(d);
    o.data_dirs.erase(std::remove_if(o.data_dirs.begin(), o.data_dirs.end(),
                                     [](const std::string& d) { return !fs::is_directory(d); }),
                      o.data_dirs.end());
  }
  if (o.data_dirs.empty()) {
    std::string list;
    for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
    std::printf("conformance: no ONNX backend test data found (%s); skipping\n", list.c_str());
    return 0;
  }
  if (o.data_label.empty()) {
    for (const std::string& d : o.data_dirs) o.data_label += (o.data_label.empty() ? "" : ", ") + d;
  }

  auto t0 = std::chrono::steady_clock::now();
  std::vector<TestCase> tests;
  for (const std::string& d : o.data_dirs) collect_tests(d, o, &tests);

  // Scan every model, then learn every op name the node suite uses (for attributing expanded tests).
  const OpRegistry& reg = OpRegistry::get();
  OpAttributor attributor;
  for (const OpSchema& s : reg.all()) attributor.add_known({s.domain == "ai.onnx" ? "" : s.domain, s.op_type});
  for (TestCase& t : tests) {
    auto bytes = read_file(t.dir + "/model.onnx");
    if (!bytes.ok()) {
      t.scan_error = bytes.status().to_string();
      continue;
    }
    auto scan = scan_model(bytes->data(), bytes->size());
    if (!scan.ok()) {
      t.scan_error = scan.status().message();
      continue;
    }
    t.scan = std::move(*scan);
    t.scanned = true;
    if (t.suite == "node")
      for (const ScannedNode& n : t.scan.nodes)
        if (n.depth == 0) attributor.add_known({n.domain, n.op_type});
  }
  for (TestCase& t : tests) {
    if (t.suite != "node") continue;
    std::vector<OpKey> ops;
    for (const ScannedNode& n : t.scan.nodes)
      if (n.depth == 0 && std::find(ops.begin(), ops.end(), OpKey{n.domain, n.op_type}) == ops.end())
        ops.push_back({n.domain, n.op_type});
    t.attribution = attributor.attribute(t.name, ops);
    t.op_opset = t.scan.opset(t.attribution.op.domain);
  }

  // Classify what cannot run, then run the rest.
  std::vector<Job> jobs;
  for (TestCase& t : tests) {
    if (!t.scanned) {
      t.result = fail("model.onnx is not a readable ModelProto: " + t.scan_error);
      continue;
    }
    TestResult pre;
    if (!precheck(t, &pre)) {
      jobs.push_back({&t, false, ""});
    } else if (pre.outcome == Outcome::kUnsupportedDtype) {
      jobs.push_back({&t, true, pre.reason});
    } else {
      t.result = pre;
    }
  }
  run_jobs(jobs, o);
  // Reasons name files relative to their test folder, so the report does not depend on where the data lives.
  for (TestCase& t : tests) {
    const std::string prefix = t.dir + "/";
    for (size_t at; (at = t.result.reason.find(prefix)) != std::string::npos;) t.result.reason.erase(at, prefix.size());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Tally node tests per op.
  std::map<OpKey, OpTally> tallies;
  for (const OpSchema& s : reg.all()) {
    OpKey k{s.domain == "ai.onnx" ? "" : s.domain, s.op_type};
    tallies[k].op = k;
    tallies[k].registered = true;
  }
  for (const TestCase& t : tests) {
    if (t.suite != "node") continue;
    OpTally& ot = tallies[t.attribution.op];
    ot.op = t.attribution.op;
    ot.registered = reg.knows(ot.op.domain, ot.op.op_type);
    ot.tests.push_back(&t);
    switch (t.result.outcome) {
      case Outcome::kPass: ++ot.pass; break;
      case Outcome::kFail: ++ot.fail; break;
      case Outcome::kUnsupportedOp: ++ot.unsupported_op; break;
      case Outcome::kUnsupportedDtype: ++ot.unsupported_dtype; break;
      case Outcome::kSkipped: ++ot.skipped; break;
    }
    if (!t.attribution.in_model) {
      ++ot.expanded_total;
      if (t.result.outcome == Outcome::kPass) ++ot.expanded_pass;
    }
  }

  // Per-op lines.
  std::map<Outcome, int> node_totals;
  int node_count = 0;
  for (const TestCase& t : tests)
    if (t.suite == "node") {
      ++node_totals[t.result.outcome];
      ++node_count;
    }
  std::vector<const OpTally*> below;
  if (node_count > 0) {
    std::printf("ONNX backend node tests (%s): %d tests\n\nSupported ops (registered in edgerun):\n",
                o.data_label.c_str(), node_count);
    for (const auto& [k, ot] : tallies) {
      if (!ot.registered) continue;
      if (ot.total() == 0 && !o.filter.empty()) continue;
      if (ot.total() == 0) {
        std::printf("  %-34s no node tests\n", k.str().c_str());
        continue;
      }
      std::printf("  %-34s %s\n", k.str().c_str(), tally_line(ot).c_str());
      if (ot.below(kPassThreshold)) below.push_back(&ot);
      if (o.verbose)
        for (const TestCase* t : ot.tests)
          if (t->result.outcome != Outcome::kPass) print_test(*t, "      ");
    }
    std::printf("\nOps not registered in edgerun:\n");
    for (const auto& [k, ot] : tallies) {
      if (ot.registered) continue;
      std::printf("  %-34s %d tests", k.str().c_str(), ot.total());
      if (ot.expanded_total) std::printf("  (function-expanded: pass %d/%d)", ot.expanded_pass, ot.expanded_total);
      std::printf("\n");
      if (o.verbose)
        for (const TestCase* t : ot.tests)
          if (t->result.outcome != Outcome::kPass &&
              (t->result.outcome != Outcome::kUnsupportedOp || !t->attribution.in_model))
            print_test(*t, "      ");
    }
    std::printf("\nnode: %d tests: pass %d, fail %d, unsupported-op %d, unsupported-dtype %d, skipped %d\n", node_count,
                node_totals[Outcome::kPass], node_totals[Outcome::kFail], node_totals[Outcome::kUnsupportedOp],
                node_totals[Outcome::kUnsupportedDtype], node_totals[Outcome::kSkipped]);
  }

  // Extra suites (not part of the 95% criterion).
  std::map<std::string, std::map<Outcome, int>> suite_totals;
  for (const TestCase& t : tests)
    if (t.suite != "node") ++suite_totals[t.suite][t.result.outcome];
  for (auto& [suite, counts] : suite_totals) {
    int n = 0;
    for (auto& [oc, c] : counts) n += c;
    std::printf("%s: %d tests: pass %d, fail %d, unsupported-op %d, unsupported-dtype %d, skipped %d\n",
                suite.c_str(), n, counts[Outcome::kPass], counts[Outcome::kFail], counts[Outcome::kUnsupportedOp],
                counts[Outcome::kUnsupportedDtype], counts[Outcome::kSkipped]);
    if (o.verbose)
      for (const TestCase& t : tests)
        if (t.suite == suite && t.result.outcome != Outcome::kPass) print_test(t, "      ");
  }
  std::printf("ran %zu tests in %.1f s\n", tests.size(), seconds);

  if (o.list_failures) {
    std::printf("\nfailing tests:\n");
    for (const TestCase& t : tests)
      if (t.result.outcome == Outcome::kFail)
        std::printf("%s\t%s\t%s\t%s\n", t.suite.c_str(), t.name.c_str(),
                    t.suite == "node" ? t.attribution.op.str().c_str() : "-", one_line(t.result.reason).c_str());
  }

  if (!o.markdown.empty()) {
    MarkdownInput in{o.data_label, o.data_dirs, &tests, &tallies, kPassThreshold, seconds};
    Status st = write_markdown(o.markdown, in);
    if (!st.ok()) {
      std::fprintf(stderr, "conformance: %s\n", st.to_string().c_str());
      return 2;
    }
    std::printf("wrote %s\n", o.markdown.c_str());
  }

  if (o.check) {
    if (below.empty()) {
      std::printf("check: every supported op passes at least 95%% of its counted node tests\n");
    } else {
      std::printf("check FAILED: %zu supported ops pass fewer than 95%% of their counted node tests:\n", below.size());
      for (const OpTally* ot : below)
        std::printf("  %-34s pass %d/%d\n", ot->op.str().c_str(), ot->pass, ot->counted());
      return 1;
    }
  }
  return 0;
}
