// Writes docs/operators.md from a conformance run: the op coverage table, every non-passing test of a
// supported op with its reason, the extra suites, and the ONNX ops edgerun does not implement.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance_types.h"
#include "edgerun/status.h"
#include "ops/op_registry.h"

namespace edgerun::conformance {

struct MarkdownInput {
  std::string data_label;
  std::vector<std::string> data_dirs;
  const std::vector<TestCase>* tests = nullptr;
  const std::map<OpKey, OpTally>* tallies = nullptr;
  double threshold = 0.95;
  double seconds = 0;
};

namespace md_detail {

inline std::string escape(const std::string& s, bool in_table) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else if (c == '|' && in_table) out += "\\|";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

inline std::string shorten(std::string s, size_t max) {
  if (s.size() > max) s = s.substr(0, max) + " ...";
  return s;
}

// "6-12, 13, 14+" from the registered schemas of one op.
inline std::string opset_ranges(const OpKey& op) {
  std::vector<std::pair<int, int>> ranges;
  for (const OpSchema& s : OpRegistry::get().all()) {
    std::string d = s.domain == "ai.onnx" ? "" : s.domain;
    if (d == op.domain && s.op_type == op.op_type) ranges.emplace_back(s.since_version, s.until_version);
  }
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  for (auto [a, b] : ranges) {
    if (!out.empty()) out += ", ";
    if (b == INT_MAX) out += std::to_string(a) + "+";
    else if (a == b) out += std::to_string(a);
    else out += std::to_string(a) + "-" + std::to_string(b);
  }
  return out;
}

// The list part of a precheck reason: "uses float8e4m3fn, int4; loader: ..." -> {"float8e4m3fn", "int4"}.
inline void reason_items(const std::string& reason, const std::string& prefix, std::set<std::string>* out) {
  if (reason.rfind(prefix, 0) != 0) return;
  std::string list = reason.substr(prefix.size());
  size_t end = std::min(list.find(';'), list.find(" (the loader"));
  if (end != std::string::npos) list = list.substr(0, end);
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(", ", pos);
    std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty()) out->insert(item);
    if (comma == std::string::npos) break;
    pos = comma + 2;
  }
}

inline std::string join(const std::set<std::string>& items, size_t max_items = 6) {
  std::string out;
  size_t n = 0;
  for (const std::string& s : items) {
    if (n++ == max_items) {
      out += str_cat(", ... (", items.size() - max_items, " more)");
      break;
    }
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

inline std::string domain_name(const std::string& d) { return d.empty() ? "ai.onnx" : d; }

}  // namespace md_detail

inline Status write_markdown(const std::string& path, const MarkdownInput& in) {
  using namespace md_detail;
  const std::vector<TestCase>& tests = *in.tests;
  const std::map<OpKey, OpTally>& tallies = *in.tallies;
  std::ostringstream md;

  int node_tests = 0, counted = 0, passed = 0, supported_ops = 0, ops_ok = 0, ops_with_tests = 0;
  std::map<Outcome, int> node_totals;
  for (const TestCase& t : tests)
    if (t.suite == "node") {
      ++node_tests;
      ++node_totals[t.result.outcome];
    }
  for (const auto& [k, ot] : tallies) {
    if (!ot.registered) continue;
    ++supported_ops;
    counted += ot.counted();
    passed += ot.pass;
    if (ot.counted() > 0) {
      ++ops_with_tests;
      if (!ot.below(in.threshold)) ++ops_ok;
    }
  }
  int percent = static_cast<int>(in.threshold * 100 + 0.5);

  md << "# ONNX operator coverage\n\n"
     << "This file is generated: `scripts/gen_operators_doc.sh` builds `conformance_runner` (tests/conformance/) and runs\n"
     << "`conformance_runner --markdown docs/operators.md`. Do not edit it by hand; re-run the script after changing ops.\n\n"
     << "**Data:** " << escape(in.data_label, false) << ". The `node` suite has " << node_tests
     << " tests; each is a model with one op (or, for `*_expanded` tests, the op's ONNX function body) plus\n"
     << "reference inputs and outputs in `test_data_set_*/`.\n\n"
     << "## How a test is judged and counted\n\n"
     << "- **pass**: every output of every `test_data_set_*` matches the reference like the ONNX backend test runner\n"
     << "  checks it: same dtype and shape, `|got - want| <= 1e-7 + 1e-3 * |want|` per element for floating point\n"
     << "  (NaN equals NaN, infinities must be equal), exact for integers and bool.\n"
     << "- **fail**: wrong values, shape or dtype; an error `Status` from the loader, `Session::create` or\n"
     << "  `Session::run`; a crash or a timeout (tests run in a separate worker process). A load error counts as a failure\n"
     << "  unless it is about a type edgerun does not hold (next items).\n"
     << "- **unsupported-op**: the model uses an op, or an op version (its model's opset), that is not registered in\n"
     << "  `OpRegistry`. Not counted.\n"
     << "- **unsupported-dtype**: the model or its data uses a value type that edgerun's `DType` cannot hold: float8,\n"
     << "  int4/uint4, int2/uint2, float4, complex, string, or a sequence/optional/map value instead of a tensor.\n"
     << "  These tests are **not counted** in the pass rate (they cannot be represented at all, so there is\n"
     << "  nothing for an op to get right), but they are **not hidden**: the table's notes column gives their number\n"
     << "  and types per op, and each is listed with its reason below. For them the runner still loads the model and\n"
     << "  records whether the loader refused it cleanly (a crash there would be a failure).\n"
     << "- **skipped**: a tensor with more than 64M elements (none in the ONNX data so far).\n\n"
     << "The pass rate of an op is `pass / (pass + fail)` over its node tests. A test is attributed to the op named by\n"
     << "its directory (`test_layer_normalization_*` -> LayerNormalization), also when the model holds helper nodes or\n"
     << "only the op's function expansion. `conformance_runner --check` (ctest `conformance.onnx_backend`) fails when\n"
     << "any supported op passes fewer than " << percent << "% of its counted tests.\n\n"
     << "## Summary\n\n"
     << "- Supported (registered) ops: " << supported_ops << "; with counted node tests: " << ops_with_tests
     << ", of which " << ops_ok << " pass at least " << percent << "%.\n"
     << "- Node tests counted for supported ops: " << counted << ", passed: " << passed << ".\n"
     << "- All " << node_tests << " node tests: pass " << node_totals[Outcome::kPass] << ", fail "
     << node_totals[Outcome::kFail] << ", unsupported-op " << node_totals[Outcome::kUnsupportedOp]
     << ", unsupported-dtype " << node_totals[Outcome::kUnsupportedDtype] << ", skipped "
     << node_totals[Outcome::kSkipped] << ".\n\n";

  md << "## Supported ops\n\n"
     << "| op | domain | opsets registered | node tests passed / counted | notes |\n"
     << "|---|---|---|---|---|\n";
  for (const auto& [k, ot] : tallies) {
    if (!ot.registered) continue;
    std::vector<std::string> notes;
    if (ot.below(in.threshold)) notes.push_back(str_cat("**below ", percent, "%**"));
    if (ot.total() == 0) notes.push_back("no node test");
    if (ot.fail) notes.push_back(str_cat(ot.fail, " failing (listed below)"));
    if (ot.unsupported_dtype) {
      std::set<std::string> types;
      for (const TestCase* t : ot.tests)
        if (t->result.outcome == Outcome::kUnsupportedDtype) reason_items(t->result.reason, "uses ", &types);
      notes.push_back(str_cat(ot.unsupported_dtype, " not counted, unsupported dtype: ", join(types)));
    }
    if (ot.unsupported_op) {
      std::set<std::string> ops;
      for (const TestCase* t : ot.tests)
        if (t->result.outcome == Outcome::kUnsupportedOp) reason_items(t->result.reason, "not registered: ", &ops);
      notes.push_back(str_cat(ot.unsupported_op, " not counted, need ", join(ops)));
    }
    if (ot.skipped) notes.push_back(str_cat(ot.skipped, " skipped (too large)"));
    if (ot.expanded_total)
      notes.push_back(str_cat("incl. ", ot.expanded_total, " function-expanded (", ot.expanded_pass, " pass)"));
    std::string joined;
    for (const std::string& n : notes) joined += (joined.empty() ? "" : "; ") + n;
    md << "| " << escape(k.op_type, true) << " | " << domain_name(k.domain) << " | " << opset_ranges(k) << " | "
       << (ot.total() ? str_cat(ot.pass, " / ", ot.counted()) : "-") << " | " << escape(joined, true) << " |\n";
  }

  md << "\n## Non-passing tests of supported ops\n\n";
  bool any = false;
  for (const auto& [k, ot] : tallies) {
    if (!ot.registered || ot.pass == ot.total()) continue;
    any = true;
    md << "### " << k.str() << "\n\n";
    for (const TestCase* t : ot.tests) {
      if (t->result.outcome == Outcome::kPass) continue;
      md << "- `" << t->name << "` — " << outcome_name(t->result.outcome) << ": "
         << escape(shorten(t->result.reason, 400), false) << "\n";
    }
    md << "\n";
  }
  if (!any) md << "None.\n\n";

  md << "## Other suites (information only, not part of the " << percent << "% criterion)\n\n";
  std::map<std::string, std::vector<const TestCase*>> suites;
  for (const TestCase& t : tests)
    if (t.suite != "node") suites[t.suite].push_back(&t);
  if (suites.empty()) md << "No other suites in the data.\n\n";
  for (const auto& [suite, list] : suites) {
    std::map<Outcome, int> c;
    for (const TestCase* t : list) ++c[t->result.outcome];
    md << "### " << suite << "\n\n"
       << list.size() << " tests: pass " << c[Outcome::kPass] << ", fail " << c[Outcome::kFail] << ", unsupported-op "
       << c[Outcome::kUnsupportedOp] << ", unsupported-dtype " << c[Outcome::kUnsupportedDtype] << ", skipped "
       << c[Outcome::kSkipped] << ".\n\n";
    bool listed = false;
    for (const TestCase* t : list) {
      if (t->result.outcome == Outcome::kPass) continue;
      md << "- `" << t->name << "` — " << outcome_name(t->result.outcome) << ": "
         << escape(shorten(t->result.reason, 300), false) << "\n";
      listed = true;
    }
    if (listed) md << "\n";
  }

  md << "## ONNX ops not supported\n\n"
     << "Ops that the node tests exercise but edgerun does not register (for any opset). A function-expanded test of\n"
     << "such an op can still pass, because it runs the op's decomposition into supported ops.\n\n"
     << "| op | domain | node tests | notes |\n|---|---|---|---|\n";
  for (const auto& [k, ot] : tallies) {
    if (ot.registered) continue;
    std::string note;
    if (ot.expanded_total) {
      note = str_cat("function-expanded tests pass ", ot.expanded_pass, " / ", ot.expanded_total);
      std::set<std::string> needs;
      int failing = 0;
      for (const TestCase* t : ot.tests) {
        if (t->attribution.in_model) continue;
        if (t->result.outcome == Outcome::kUnsupportedOp) reason_items(t->result.reason, "not registered: ", &needs);
        if (t->result.outcome == Outcome::kFail) ++failing;
      }
      if (!needs.empty()) note += "; the rest need " + join(needs);
      if (failing) note += str_cat("; ", failing, " fail");
    }
    md << "| " << escape(k.op_type, true) << " | " << domain_name(k.domain) << " | " << ot.total() << " | " << note
       << " |\n";
  }

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return io_error("cannot write ", path);
  f << md.str();
  f.close();
  if (!f) return io_error("error writing ", path);
  return Status();
}

}  // namespace edgerun::conformance
