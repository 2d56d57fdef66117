// Argument parsing and output helpers shared by the edgerun subcommands.
// Every error a user can cause ends as one line "edgerun: error: ..." on stderr and a non-zero exit code.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/session.h"
#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun::cli {

#ifdef EDGERUN_VERSION
inline constexpr const char* kVersion = EDGERUN_VERSION;
#else
inline constexpr const char* kVersion = "0.1.0";
#endif

// Exit codes (docs/cli.md): 0 success, 1 failure (model, input, image, I/O), 2 bad command line.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct OptionSpec {
  std::string name;        // "--shape"
  std::string value_name;  // "NAME=DIMS"; empty for a flag that takes no value
  std::string help;
  bool repeatable = false;
};

struct CommandSpec {
  std::string name;      // "run"
  std::string synopsis;  // "MODEL [options]"
  std::string summary;   // one line
  std::vector<OptionSpec> options;
  std::string details;  // free text after the options (formats, examples)
};

// Parsed command line: positionals in order, options in command-line order ("--x=v" and "--x v" both work).
class Args {
 public:
  std::vector<std::string> positional;
  bool help = false;

  bool has(const std::string& name) const;
  // Value of the last occurrence, or `def`.
  std::string get(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> all(const std::string& name) const;
  void add(std::string name, std::string value) { options_.emplace_back(std::move(name), std::move(value)); }

 private:
  std::vector<std::pair<std::string, std::string>> options_;
};

// Parses argv[first..]. Errors (kInvalidArgument): unknown option, missing value, repeated single option.
// "--" ends options; "-h"/"--help" set Args::help.
Expected<Args> parse_args(const CommandSpec& spec, int argc, char** argv, int first);
std::string format_help(const CommandSpec& spec);

// "edgerun: error: MESSAGE" (newlines flattened) on stderr; returns kExitError.
int report_error(const std::string& message);
int report_error(const Status& status);
// The same, plus a pointer to --help; returns kExitUsage.
int report_usage_error(const CommandSpec& spec, const std::string& message);
// "edgerun: note: MESSAGE" on stderr (information that does not change the exit code).
void report_note(const std::string& message);
void report_warning(const std::string& message);

// Option values. `option` names the flag in error messages.
Expected<int64_t> parse_int(const std::string& option, const std::string& text, int64_t min, int64_t max);
Expected<double> parse_double(const std::string& option, const std::string& text);
Expected<std::vector<float>> parse_floats(const std::string& option, const std::string& text, size_t count);
// "1x3x224x224" or "1,3,224,224"; every dim >= 0.
Expected<Shape> parse_dims(const std::string& text);
// "NAME=DIMS"; a bare "DIMS" gives an empty name.
Expected<std::pair<std::string, Shape>> parse_named_shape(const std::string& text);
// "640" (square) or "640x480" (width x height; 'X' also separates), each side in [min, 8192].
Expected<std::pair<int, int>> parse_size(const std::string& option, const std::string& text, int64_t min);

// Elements and bytes of a shape, or an error if they overflow or exceed `max_bytes`.
Status check_tensor_size(const std::string& what, DType dtype, const Shape& shape, uint64_t max_bytes = 16ull << 30);

// "[N, 3, 224, 224]": fixed dims as numbers, symbolic ones by name, unknown as "?"; "[?]" rank unknown.
std::string format_spec_shape(const TensorSpec& spec, bool has_shape = true);
std::string format_bytes(uint64_t bytes);  // "3.49 MiB"
std::string format_count(uint64_t n);      // "3,487,816"
std::string format_value(double v);        // compact: "0.1234", "-1.5e-07", "42"

// Element i of a numeric tensor as double (float16/bfloat16/bool/ints included); 0 for strings.
double tensor_element(const Tensor& t, int64_t i);

// Milliseconds since an arbitrary start (steady clock).
double now_ms();

}  // namespace edgerun::cli
