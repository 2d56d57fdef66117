// core/sysinfo: the /proc parsers on real and odd text, and the /sys readers on a fake tree.
#include "core/sysinfo.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using namespace edgerun;

TEST(Sysinfo, ProcStatus) {
  std::string text = "Name:\tedgerun\nVmPeak:\t  20000 kB\nVmHWM:\t    1940 kB\nVmRSS:\t 1234 kB\n";
  EXPECT_EQ(parse_proc_status_bytes(text, "VmHWM"), 1940u * 1024);
  EXPECT_EQ(parse_proc_status_bytes(text, "VmRSS"), 1234u * 1024);
  EXPECT_FALSE(parse_proc_status_bytes(text, "VmSwap"));
  for (const char* odd : {"", "VmHWM:", "VmHWM: kB", "VmHWM: -5 kB", "VmHWM: 12 parsecs", "VmHWM 12 kB",
                          "VmHWM: 99999999999999999999999 kB", "VmHWM: 18446744073709551 kB", "\n\n::\n"})
    EXPECT_FALSE(parse_proc_status_bytes(odd, "VmHWM")) << odd;
}

TEST(Sysinfo, CpuinfoModelAndMhz) {
  std::string x86 =
      "processor\t: 0\nmodel name\t: AMD EPYC 7763\ncpu MHz\t\t: 2000.000\n\n"
      "processor\t: 1\nmodel name\t: AMD EPYC 7763\ncpu MHz\t\t: 3000.0\n";
  EXPECT_EQ(parse_cpuinfo_model(x86), "AMD EPYC 7763");
  ASSERT_TRUE(parse_cpuinfo_mhz(x86));
  EXPECT_DOUBLE_EQ(*parse_cpuinfo_mhz(x86), 2500.0);
  std::string arm = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n";
  EXPECT_EQ(parse_cpuinfo_model(arm), "arm64 implementer 0x41 part 0xd0b");
  EXPECT_FALSE(parse_cpuinfo_mhz(arm));
  EXPECT_EQ(parse_cpuinfo_model("Hardware\t: BCM2835\n"), "BCM2835");
  EXPECT_EQ(parse_cpuinfo_model(""), "");
  EXPECT_FALSE(parse_cpuinfo_mhz("cpu MHz : fast\ncpu MHz : nan\ncpu MHz : -3\ncpu MHz :"));
}

TEST(Sysinfo, LiveValuesNeverFail) {
  EXPECT_GT(peak_rss_bytes(), 0u);  // Linux
  EXPECT_GE(peak_rss_bytes(), current_rss_bytes());
  (void)cpu_model_name();
  auto t = cpu_temperature_c();
  if (t) EXPECT_FALSE(t->source.empty());
  auto f = cpu_frequency_mhz();
  if (f) EXPECT_GT(f->value, 0.0);
}

class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edgerun_sysfs_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << text;
  }
  std::string root_;
};

TEST_F(FakeSysfs, EmptyTreeGivesNothing) {
  EXPECT_FALSE(cpu_temperature_c(root_));
  EXPECT_FALSE(cpu_frequency_mhz(root_, root_ + "/no-cpuinfo"));
}

TEST_F(FakeSysfs, PrefersTheCpuThermalZone) {
  write("class/thermal/thermal_zone0/type", "acpitz\n");
  write("class/thermal/thermal_zone0/temp", "27800\n");
  write("class/thermal/thermal_zone1/type", "garbage\n");
  write("class/thermal/thermal_zone1/temp", "hot\n");
  write("class/thermal/thermal_zone10/type", "x86_pkg_temp\n");
  write("class/thermal/thermal_zone10/temp", "45500\n");
  auto t = cpu_temperature_c(root_);
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->value, 45.5);
  EXPECT_EQ(t->source, "thermal_zone10 (x86_pkg_temp)");
}

TEST_F(FakeSysfs, FallsBackToHwmonThenAnyZone) {
  write("class/thermal/thermal_zone0/type", "acpitz\n");
  write("class/thermal/thermal_zone0/temp", "27800\n");
  write("class/hwmon/hwmon0/name", "nvme\n");
  write("class/hwmon/hwmon0/temp1_input", "39000\n");
  write("class/hwmon/hwmon3/name", "k10temp\n");
  write("class/hwmon/hwmon3/temp1_input", "61250\n");
  auto t = cpu_temperature_c(root_);
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->value, 61.25);
  fs::remove_all(root_ + "/class/hwmon/hwmon3");
  t = cpu_temperature_c(root_);
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->value, 27.8);
  write("class/thermal/thermal_zone0/temp", "999999999\n");  // implausible: ignored
  EXPECT_FALSE(cpu_temperature_c(root_));
}

TEST_F(FakeSysfs, FrequencyFromCpufreqElseCpuinfo) {
  write("devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1000000\n");
  write("devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "3000000\n");
  write("devices/system/cpu/cpu2/cpufreq/scaling_cur_freq", "\n");
  write("devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "5\n");
  write("cpuinfo", "cpu MHz : 1234.5\n");
  auto f = cpu_frequency_mhz(root_, root_ + "/cpuinfo");
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->value, 2000.0);
  fs::remove_all(root_ + "/devices");
  f = cpu_frequency_mhz(root_, root_ + "/cpuinfo");
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->value, 1234.5);
}

}  // namespace
