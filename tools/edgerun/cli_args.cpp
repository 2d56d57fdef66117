#include "cli_args.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/half.h"

namespace edgerun::cli {

bool Args::has(const std::string& name) const {
  for (const auto& [n, v] : options_)
    if (n == name) return true;
  return false;
}

std::string Args::get(const std::string& name, const std::string& def) const {
  for (auto it = options_.rbegin(); it != options_.rend(); ++it)
    if (it->first == name) return it->second;
  return def;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : options_)
    if (n == name) out.push_back(v);
  return out;
}

Expected<Args> parse_args(const CommandSpec& spec, int argc, char** argv, int first) {
  Args args;
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      args.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      args.help = true;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const OptionSpec* opt = nullptr;
    for (const OptionSpec& o : spec.options)
      if (o.name == name) opt = &o;
    if (!opt) {
      // A negative number is a value, not an option, only where a value is expected; here it is unknown.
      return invalid_argument("unknown option '", name, "' for 'edgerun ", spec.name, "'");
    }
    if (opt->value_name.empty()) {
      if (inline_value) return invalid_argument("option ", name, " takes no value");
    } else if (!inline_value) {
      if (i + 1 >= argc) return invalid_argument("option ", name, " needs a value (", opt->value_name, ")");
      value = argv[++i];
    }
    if (!opt->repeatable && args.has(name)) return invalid_argument("option ", name, " given more than once");
    args.add(name, value);
  }
  return args;
}

// Greedy word wrap to `width` columns; continuation lines are indented by `indent`.
static std::string wrap(const std::string& text, size_t width, size_t indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    std::string word = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

std::string format_help(const CommandSpec& spec) {
  std::string s = str_cat("usage: edgerun ", spec.name, " ", spec.synopsis, "\n\n", spec.summary, "\n");
  if (!spec.options.empty()) {
    s += "\noptions:\n";
    for (const OptionSpec& o : spec.options) {
      std::string left = "  " + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
      if (left.size() < 28)
        left.resize(28, ' ');
      else
        left += "\n" + std::string(28, ' ');
      s += left + wrap(o.help + (o.repeatable ? " (repeatable)" : ""), 100 - 28, 28) + "\n";
    }
    s += "  -h, --help                show this help\n";
  }
  if (!spec.details.empty()) s += "\n" + spec.details;
  if (s.back() != '\n') s += '\n';
  return s;
}

static std::string one_line(std::string msg) {
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  return msg;
}

int report_error(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "edgerun: error: %s\n", one_line(message).c_str());
  return kExitError;
}

int report_error(const Status& status) { return report_error(status.to_string()); }

int report_usage_error(const CommandSpec& spec, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "edgerun: error: %s (see 'edgerun %s --help')\n", one_line(message).c_str(), spec.name.c_str());
  return kExitUsage;
}

void report_note(const std::string& message) { std::fprintf(stderr, "edgerun: note: %s\n", one_line(message).c_str()); }

void report_warning(const std::string& message) {
  std::fprintf(stderr, "edgerun: warning: %s\n", one_line(message).c_str());
}

Expected<int64_t> parse_int(const std::string& option, const std::string& text, int64_t min, int64_t max) {
  if (text.empty()) return invalid_argument(option, " needs an integer, got an empty value");
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0')
    return invalid_argument(option, " needs an integer, got '", text, "'");
  if (v < min || v > max) return invalid_argument(option, " must be between ", min, " and ", max, ", got ", v);
  return static_cast<int64_t>(v);
}

Expected<double> parse_double(const std::string& option, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || end == text.c_str() || *end != '\0' || !std::isfinite(v))
    return invalid_argument(option, " needs a number, got '", text, "'");
  return v;
}

Expected<std::vector<float>> parse_floats(const std::string& option, const std::string& text, size_t count) {
  std::vector<float> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    ER_ASSIGN_OR_RETURN(double v, parse_double(option, part));
    out.push_back(static_cast<float>(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.size() != count)
    return invalid_argument(option, " needs ", count, " comma-separated numbers, got '", text, "'");
  return out;
}

Expected<Shape> parse_dims(const std::string& text) {
  if (text.empty()) return invalid_argument("empty shape (expected e.g. 1x3x224x224)");
  Shape shape;
  size_t pos = 0;
  while (true) {
    size_t sep = text.find_first_of("x,", pos);
    std::string part = text.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos);
    auto d = parse_int("shape dimension", part, 0, int64_t{1} << 40);
    if (!d.ok())
      return invalid_argument("bad shape '", text, "': ", d.status().message(), " (expected e.g. 1x3x224x224)");
    shape.push_back(*d);
    if (sep == std::string::npos) break;
    pos = sep + 1;
  }
  return shape;
}

Expected<std::pair<std::string, Shape>> parse_named_shape(const std::string& text) {
  size_t eq = text.rfind('=');
  std::string name = eq == std::string::npos ? "" : text.substr(0, eq);
  ER_ASSIGN_OR_RETURN(Shape shape, parse_dims(eq == std::string::npos ? text : text.substr(eq + 1)));
  return std::make_pair(name, shape);
}

Expected<std::pair<int, int>> parse_size(const std::string& option, const std::string& text, int64_t min) {
  size_t x = text.find_first_of("xX");
  if (x == std::string::npos) {
    ER_ASSIGN_OR_RETURN(int64_t n, parse_int(option, text, min, 8192));
    return std::make_pair(static_cast<int>(n), static_cast<int>(n));
  }
  ER_ASSIGN_OR_RETURN(int64_t w, parse_int(option, text.substr(0, x), min, 8192));
  ER_ASSIGN_OR_RETURN(int64_t h, parse_int(option, text.substr(x + 1), min, 8192));
  return std::make_pair(static_cast<int>(w), static_cast<int>(h));
}

Status check_tensor_size(const std::string& what, DType dtype, const Shape& shape, uint64_t max_bytes) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument(what, " has an unknown dimension in ", shape_str(shape));
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      return invalid_argument(what, " shape ", shape_str(shape), " is too large");
    n *= static_cast<uint64_t>(d);
  }
  uint64_t elem = std::max<uint64_t>(dtype_size(dtype), 1);
  if (n > max_bytes / elem)
    return invalid_argument(what, " shape ", shape_str(shape), " needs more than ", format_bytes(max_bytes));
  return Status();
}

std::string format_spec_shape(const TensorSpec& spec, bool has_shape) {
  if (!has_shape) return "[?]";
  std::string s = "[";
  for (size_t i = 0; i < spec.shape.size(); ++i) {
    if (i) s += ", ";
    if (spec.shape[i] >= 0) {
      s += std::to_string(spec.shape[i]);
    } else if (i < spec.dim_names.size() && !spec.dim_names[i].empty()) {
      s += spec.dim_names[i];
    } else {
      s += "?";
    }
  }
  return s + "]";
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 " B", bytes);
  } else if (bytes < (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
  } else if (bytes < (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f MiB", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", bytes / 1073741824.0);
  }
  return buf;
}

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_value(double v) {
  char buf[64];
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  }
  return buf;
}

double tensor_element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat64:
      return t.data<double>()[i];
    case DType::kFloat16:
      return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16:
      return bfloat16_to_float(t.data<uint16_t>()[i]);
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUInt16:
      return t.data<uint16_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    case DType::kUInt32:
      return t.data<uint32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kUInt64:
      return static_cast<double>(t.data<uint64_t>()[i]);
    case DType::kBool:
      return t.data<uint8_t>()[i] ? 1.0 : 0.0;
    case DType::kString:
    case DType::kUndefined:
      return 0.0;
  }
  return 0.0;
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace edgerun::cli
