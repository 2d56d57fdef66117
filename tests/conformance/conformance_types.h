// Shared types of the conformance runner: one test case and its outcome, and the per-op tally.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model_scan.h"
#include "op_attribution.h"

namespace edgerun::conformance {

enum class Outcome : int {
  kPass = 0,
  kFail = 1,              // wrong values/shape/dtype, an error Status, a load error, a crash or a timeout
  kUnsupportedOp = 2,     // some op of the model is not registered for the model's opset
  kUnsupportedDtype = 3,  // the model or its data uses a type edgerun does not hold (float8, int4, string,
                          // complex, sequence/optional/map values)
  kSkipped = 4,           // too large to run here (tensors over the element limit)
};

inline const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kUnsupportedOp: return "unsupported-op";
    case Outcome::kUnsupportedDtype: return "unsupported-dtype";
    case Outcome::kSkipped: return "skipped";
  }
  return "?";
}

struct TestResult {
  Outcome outcome = Outcome::kFail;
  std::string reason;
};

struct TestCase {
  std::string suite;  // "node", "simple", "pytorch-converted", "pytorch-operator"
  std::string name;   // "test_conv_with_strides_padding"
  std::string dir;
  bool scanned = false;
  std::string scan_error;
  ModelScan scan;
  Attribution attribution;  // node suite only
  int64_t op_opset = 0;     // opset of the attributed op's domain in this model
  std::vector<std::string> data_sets;  // test_data_set_* directories in numeric order
  TestResult result;
};

struct OpTally {
  OpKey op;
  bool registered = false;
  int pass = 0, fail = 0, unsupported_op = 0, unsupported_dtype = 0, skipped = 0;
  int expanded_pass = 0, expanded_total = 0;  // function-expanded tests among the above
  std::vector<const TestCase*> tests;

  int total() const { return pass + fail + unsupported_op + unsupported_dtype + skipped; }
  // The tests the 95% criterion is computed over: the op version is registered and the dtypes are held.
  int counted() const { return pass + fail; }
  bool below(double threshold) const { return counted() > 0 && pass < threshold * counted(); }
};

}  // namespace edgerun::conformance
