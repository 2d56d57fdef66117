// System telemetry for benchmarks: memory of this process, CPU model, temperature and clock.
// Everything here is best effort: a value the machine does not expose is 0 / "" / std::nullopt, never an error,
// and odd /proc or /sys contents never crash (they are read as text and parsed defensively). Linux only; other
// systems get "unknown" everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgerun {

// Peak resident set size of this process (VmHWM in /proc/self/status), bytes; 0 if unknown.
uint64_t peak_rss_bytes();
// Current resident set size (VmRSS), bytes; 0 if unknown.
uint64_t current_rss_bytes();

// "AMD EPYC 7763 64-Core Processor" from /proc/cpuinfo ("model name", or "Hardware"/"Processor" on Arm,
// or "arm64 implementer 0x41 part 0xd0b"); "" if unknown.
std::string cpu_model_name();

struct SensorReading {
  double value = 0.0;
  std::string source;  // where it came from: "thermal_zone0 (x86_pkg_temp)", "hwmon1 (k10temp)", "cpufreq", ...
};

// CPU temperature in degrees Celsius: a CPU thermal zone (/sys/class/thermal/thermal_zone*/temp, chosen by type),
// else a CPU hwmon sensor (coretemp, k10temp, cpu_thermal, ...), else any thermal zone. `sysfs` is the /sys root
// (tests pass a fake tree).
std::optional<SensorReading> cpu_temperature_c(const std::string& sysfs = "/sys");

// Mean current CPU clock over all CPUs in MHz: cpufreq scaling_cur_freq, else the "cpu MHz" lines of
// /proc/cpuinfo. `sysfs` and `cpuinfo` are overridable for tests.
std::optional<SensorReading> cpu_frequency_mhz(const std::string& sysfs = "/sys",
                                               const std::string& cpuinfo = "/proc/cpuinfo");

// Parsers, exposed for tests.
// The value of "KEY:  1234 kB" in /proc/self/status text, in bytes.
std::optional<uint64_t> parse_proc_status_bytes(std::string_view text, std::string_view key);
// The CPU model from /proc/cpuinfo text (see cpu_model_name); "" if none.
std::string parse_cpuinfo_model(std::string_view text);
// Mean of the "cpu MHz" lines of /proc/cpuinfo text.
std::optional<double> parse_cpuinfo_mhz(std::string_view text);

}  // namespace edgerun
