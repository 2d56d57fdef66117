#include "core/sysinfo.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace edgerun {
namespace {

namespace fs = std::filesystem;

// Reads at most `limit` bytes of a text file ("" if it cannot be opened). /proc and /sys files report size 0,
// so this reads until EOF instead of trusting the size.
std::string read_text(const std::string& path, size_t limit = 1 << 20) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  std::string text;
  char buf[4096];
  while (text.size() < limit) {
    f.read(buf, sizeof(buf));
    if (f.gcount() <= 0) break;
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (!f) break;
  }
  if (text.size() > limit) text.resize(limit);
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() || !(v == v)) return std::nullopt;
  return v;
}

// Calls fn(key, value) for each "key : value" line (both trimmed).
template <typename Fn>
void for_each_field(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fn(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Entries of `dir` whose names start with `prefix`, sorted by their numeric suffix (zone2 before zone10).
std::vector<std::string> numbered_entries(const std::string& dir, std::string_view prefix) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    auto n = parse_int(std::string_view(name).substr(prefix.size()));
    found.emplace_back(n ? *n : INT64_MAX, name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& [n, name] : found) names.push_back(std::move(name));
  return names;
}

// Millidegrees Celsius as the kernel writes them -> degrees, if plausible for a CPU.
std::optional<double> millidegrees(const std::string& path) {
  auto v = parse_int(read_text(path, 64));
  if (!v) return std::nullopt;
  double c = static_cast<double>(*v) / 1000.0;
  if (c < -60.0 || c > 200.0) return std::nullopt;
  return c;
}

bool contains_any(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (s.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

std::optional<uint64_t> parse_proc_status_bytes(std::string_view text, std::string_view key) {
  std::optional<uint64_t> out;
  for_each_field(text, [&](std::string_view k, std::string_view v) {
    if (out || k != key) return;
    size_t space = v.find(' ');
    auto n = parse_int(v.substr(0, space));
    if (!n || *n < 0) return;
    std::string unit = lower(space == std::string_view::npos ? "" : trim(v.substr(space)));
    uint64_t scale = unit == "kb" ? 1024 : unit == "mb" ? 1024 * 1024 : unit.empty() || unit == "b" ? 1 : 0;
    if (scale == 0 || static_cast<uint64_t>(*n) > UINT64_MAX / scale) return;
    out = static_cast<uint64_t>(*n) * scale;
  });
  return out;
}

std::string parse_cpuinfo_model(std::string_view text) {
  std::string model_name, hardware, processor, implementer, part;
  for_each_field(text, [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    if (k == "model name" && model_name.empty()) model_name = v;
    if (k == "Hardware" && hardware.empty()) hardware = v;
    // x86 "processor : 0" is an index; Arm32 "Processor : ARMv7 ..." is a name.
    if (k == "Processor" && processor.empty()) processor = v;
    if (k == "CPU implementer" && implementer.empty()) implementer = v;
    if (k == "CPU part" && part.empty()) part = v;
  });
  if (!model_name.empty()) return model_name;
  if (!hardware.empty()) return hardware;
  if (!processor.empty()) return processor;
  if (!implementer.empty()) return "arm64 implementer " + implementer + (part.empty() ? "" : " part " + part);
  return "";
}

std::optional<double> parse_cpuinfo_mhz(std::string_view text) {
  double sum = 0;
  int n = 0;
  for_each_field(text, [&](std::string_view k, std::string_view v) {
    if (k != "cpu MHz") return;
    auto mhz = parse_double(v);
    if (!mhz || *mhz <= 0 || *mhz > 1e6) return;
    sum += *mhz;
    ++n;
  });
  if (n == 0) return std::nullopt;
  return sum / n;
}

uint64_t peak_rss_bytes() { return parse_proc_status_bytes(read_text("/proc/self/status"), "VmHWM").value_or(0); }

uint64_t current_rss_bytes() { return parse_proc_status_bytes(read_text("/proc/self/status"), "VmRSS").value_or(0); }

std::string cpu_model_name() { return parse_cpuinfo_model(read_text("/proc/cpuinfo", 4 << 20)); }

std::optional<SensorReading> cpu_temperature_c(const std::string& sysfs) {
  // 1. A thermal zone whose type names the CPU package or SoC.
  const std::string thermal = sysfs + "/class/thermal";
  std::optional<SensorReading> any_zone;
  for (const std::string& zone : numbered_entries(thermal, "thermal_zone")) {
    std::string type(trim(read_text(thermal + "/" + zone + "/type", 256)));
    auto c = millidegrees(thermal + "/" + zone + "/temp");
    if (!c) continue;
    SensorReading r{*c, zone + (type.empty() ? "" : " (" + type + ")")};
    if (contains_any(lower(type), {"cpu", "x86_pkg", "soc", "pkg", "core", "tctl", "k10temp"})) return r;
    if (!any_zone) any_zone = r;
  }
  // 2. A CPU hwmon driver; temp1 is the package / Tctl sensor for coretemp and k10temp.
  const std::string hwmon = sysfs + "/class/hwmon";
  for (const std::string& dev : numbered_entries(hwmon, "hwmon")) {
    std::string name(trim(read_text(hwmon + "/" + dev + "/name", 256)));
    if (!contains_any(lower(name), {"coretemp", "k10temp", "zenpower", "cpu", "soc"})) continue;
    auto c = millidegrees(hwmon + "/" + dev + "/temp1_input");
    if (c) return SensorReading{*c, dev + " (" + name + ")"};
  }
  // 3. Any thermal zone (often "acpitz": near the CPU on most boards).
  return any_zone;
}

std::optional<SensorReading> cpu_frequency_mhz(const std::string& sysfs, const std::string& cpuinfo) {
  const std::string cpus = sysfs + "/devices/system/cpu";
  double sum = 0;
  int n = 0;
  for (const std::string& cpu : numbered_entries(cpus, "cpu")) {
    if (cpu.size() <= 3 || !std::isdigit(static_cast<unsigned char>(cpu[3]))) continue;  // cpufreq, cpuidle
    auto khz = parse_int(read_text(cpus + "/" + cpu + "/cpufreq/scaling_cur_freq", 64));
    if (!khz || *khz <= 0 || *khz > 1000000000) continue;
    sum += static_cast<double>(*khz) / 1000.0;
    ++n;
  }
  if (n > 0) return SensorReading{sum / n, "cpufreq scaling_cur_freq, mean of " + std::to_string(n) + " CPUs"};
  auto mhz = parse_cpuinfo_mhz(read_text(cpuinfo, 4 << 20));
  if (mhz) return SensorReading{*mhz, "/proc/cpuinfo cpu MHz"};
  return std::nullopt;
}

}  // namespace edgerun
