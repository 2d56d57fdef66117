// `edgerun watch` end to end, as a separate process on the shared YOLOv8n INT8 model: a video made here from the six
// detection sample images (alerts exactly on the processed frames with a person >= 0.7, computed independently by
// running vision::Detector on the frames the ffmpeg CLI extracts; cooldown; consecutive frames; webhook received by a
// local cpp-httplib server; snapshots; log file), a folder with corrupt images and failing webhooks, SIGTERM in the
// middle of a followed folder, a truncated video, and bad input (missing camera, bad rules, missing GPIO chip).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "edgerun/detect.h"
#include "edgerun/vision.h"
#include "test_data.h"
#include "watch/frame_source.h"

#ifdef EDGERUN_HAVE_HTTPLIB
#include <httplib.h>
#endif

namespace edgerun {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::describe;
using testing::run_cli;

constexpr int kVideoFps = 2;
constexpr int kEvery = 2;   // --every in the video tests
constexpr int kRepeat = 3;  // frames per sample image in the video
constexpr double kPersonConf = 0.7;

std::string yolo_model() { return testing::model_path("detection/yolov8n-int8/model.onnx"); }
std::string sample_images_dir() { return testing::model_path("images/detection"); }

bool have_ffmpeg_cli() { return std::system("ffmpeg -hide_banner -version > /dev/null 2>&1") == 0; }
int run_quiet(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string tmpl = "/tmp/edgerun_watch_" + tag + "_XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

struct WatchOutput {
  std::vector<std::string> event_lines;
  std::vector<nlohmann::json> events;
  nlohmann::json summary;  // from --json-summary, null without it
};

WatchOutput parse_stdout(const std::string& out) {
  WatchOutput w;
  for (const std::string& line : lines_of(out)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout line is not JSON: " << line;
    if (j.is_discarded()) continue;
    if (j.contains("summary")) {
      w.summary = j["summary"];
    } else {
      w.event_lines.push_back(line);
      w.events.push_back(j);
    }
  }
  return w;
}

std::vector<int64_t> frames_of_rule(const WatchOutput& w, const std::string& rule) {
  std::vector<int64_t> frames;
  for (const nlohmann::json& e : w.events)
    if (e.value("rule", "") == rule) frames.push_back(e["frame"].get<int64_t>());
  return frames;
}

// The detector the CLI builds for these tests: default options, conf = min(0.25, the rules' conf).
std::unique_ptr<vision::Detector> load_detector() {
  vision::DetectOptions o;
  o.conf = 0.25f;
  auto d = vision::Detector::load(yolo_model(), o);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? std::move(*d) : nullptr;
}

bool has_person(vision::Detector& det, const std::string& image_path) {
  auto img = vision::decode_image_file(image_path);
  EXPECT_TRUE(img.ok()) << image_path << ": " << img.status().message();
  if (!img.ok()) return false;
  auto r = det.detect(*img);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return false;
  for (const vision::Detection& d : r->detections)
    if (d.label == "person" && d.score >= kPersonConf) return true;
  return false;
}

// The frames at which a rule with `frames` and `cooldown` fires, given which processed frames match (a reference
// model of the rule semantics written out here, independent of src/watch).
std::vector<int64_t> expected_alerts(const std::vector<std::pair<int64_t, bool>>& processed, int frames,
                                     double cooldown, double fps) {
  std::vector<int64_t> out;
  int streak = 0;
  double last = -1e300;
  for (const auto& [frame, match] : processed) {
    streak = match ? streak + 1 : 0;
    double t = static_cast<double>(frame) / fps;
    if (streak >= frames && t - last >= cooldown) {
      out.push_back(frame);
      last = t;
    }
  }
  return out;
}

// The test video and, per processed frame (--every 2), whether it shows a person >= 0.7. Built once per process.
struct VideoCase {
  VideoCase() = default;
  VideoCase(const VideoCase&) = delete;
  VideoCase& operator=(const VideoCase&) = delete;
  ~VideoCase() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
  std::string dir;
  std::string video;
  int frames = 0;
  std::vector<std::pair<int64_t, bool>> processed;  // frame -> person >= 0.7 (every 2nd frame)
  std::string error;                                // set when the case could not be built
};

// Fills `v`, or sets v.error; called once.
void build_video_case(VideoCase& v) {
  char tmpl[] = "/tmp/edgerun_watch_video_XXXXXX";
  v.dir = mkdtemp(tmpl);
  // Each sample image letterboxed to 640x480 (a common frame size), kRepeat frames each, FFV1 (lossless), so that
  // the pixels edgerun decodes are the pixels the ffmpeg CLI extracts.
  std::vector<std::string> images;
  for (const auto& e : fs::directory_iterator(sample_images_dir()))
    if (e.path().extension() == ".jpg") images.push_back(e.path().string());
  std::sort(images.begin(), images.end());
  if (images.size() != 6) {
    v.error = "expected 6 images in " + sample_images_dir();
    return;
  }
  int n = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string scaled = v.dir + "/img" + std::to_string(i) + ".png";
    if (run_quiet("ffmpeg -y -i '" + images[i] +
                  "' -vf 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2' '" +
                  scaled + "'") != 0) {
      v.error = "ffmpeg could not scale " + images[i];
      return;
    }
    for (int k = 0; k < kRepeat; ++k) {
      char name[64];
      std::snprintf(name, sizeof(name), "/seq_%03d.png", n++);
      fs::copy_file(scaled, v.dir + name);
    }
  }
  v.frames = n;
  v.video = v.dir + "/video.mkv";
  if (run_quiet("ffmpeg -y -framerate " + std::to_string(kVideoFps) + " -i '" + v.dir +
                "/seq_%03d.png' -c:v ffv1 -pix_fmt bgr0 '" + v.video + "'") != 0) {
    v.error = "ffmpeg could not encode the test video";
    return;
  }
  // The frames back out of the video, independently of edgerun's reader.
  fs::create_directories(v.dir + "/out");
  if (run_quiet("ffmpeg -y -i '" + v.video + "' -fps_mode passthrough -pix_fmt rgb24 '" + v.dir + "/out/f_%03d.png'") !=
      0) {
    v.error = "ffmpeg could not extract the frames";
    return;
  }
  auto det = load_detector();
  if (!det) {
    v.error = "cannot load the detector";
    return;
  }
  for (int f = 0; f < v.frames; f += kEvery) {
    char name[64];
    std::snprintf(name, sizeof(name), "/out/f_%03d.png", f + 1);
    if (!fs::exists(v.dir + name)) {
      v.error = std::string("missing extracted frame ") + name;
      return;
    }
    v.processed.emplace_back(f, has_person(*det, v.dir + name));
  }
}

const VideoCase& video_case() {
  static VideoCase c;
  static std::once_flag once;
  std::call_once(once, [] { build_video_case(c); });
  return c;
}

#define REQUIRE_MODEL()                        \
  do {                                         \
    EDGERUN_REQUIRE_DATA(yolo_model());        \
    EDGERUN_REQUIRE_DATA(sample_images_dir()); \
  } while (0)

#define REQUIRE_VIDEO_CASE()                                                                                      \
  do {                                                                                                            \
    REQUIRE_MODEL();                                                                                              \
    if (!have_ffmpeg_cli()) GTEST_SKIP() << "the ffmpeg command-line tool is not installed (apt install ffmpeg)"; \
    if (!watch::ffmpeg_available()) GTEST_SKIP() << "edgerun was built without FFmpeg";                           \
    ASSERT_EQ(video_case().error, "");                                                                            \
  } while (0)

#ifdef EDGERUN_HAVE_HTTPLIB
// A local webhook receiver on a free port; `delay_ms` makes it answer slowly.
class Listener {
 public:
  explicit Listener(int delay_ms = 0) {
    server_.Post("/hook", [this, delay_ms](const httplib::Request& req, httplib::Response& res) {
      if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
        types_.push_back(req.get_header_value("Content-Type"));
      }
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Listener() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> types() {
    std::lock_guard<std::mutex> lock(mu_);
    return types_;
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_, types_;
};

// A port with nothing listening (connections are refused): one the kernel picked for a socket that is then closed.
std::string closed_port_url() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/hook";
}
#endif

// ---- (a) a video: alert frames, cooldown, consecutive frames, webhook, snapshots, log --------------------------

TEST(Watch, VideoAlertsOnExactlyThePersonFrames) {
  REQUIRE_VIDEO_CASE();
  const VideoCase& vc = video_case();
  std::vector<int64_t> person = expected_alerts(vc.processed, 1, 0, kVideoFps);
  std::vector<int64_t> calm = expected_alerts(vc.processed, 1, 1.5, kVideoFps);
  std::vector<int64_t> pair = expected_alerts(vc.processed, 2, 0, kVideoFps);
  // The case must be able to fail: some processed frames with a person, some without, and a cooldown that
  // suppresses something.
  ASSERT_FALSE(person.empty());
  ASSERT_LT(person.size(), vc.processed.size());
  ASSERT_LT(calm.size(), person.size());

  TempDir tmp("video");
  // clang-format off
  std::vector<std::string> args = {"watch", vc.video, "--model", yolo_model(), "--every", std::to_string(kEvery),
                                   "--rule", "name=person;classes=person;conf=0.7;cooldown=0",
                                   "--rule", "name=calm;classes=person;conf=0.7;cooldown=1.5",
                                   "--rule", "name=pair;classes=person;conf=0.7;frames=2;cooldown=0",
                                   "--snapshots", tmp.file("snaps"), "--log", tmp.file("events.jsonl"),
                                   "--stats-interval", "0", "--json-summary"};
  // clang-format on
#ifdef EDGERUN_HAVE_HTTPLIB
  Listener listener;
  args.push_back("--webhook");
  args.push_back(listener.url());
#endif
  CliResult r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  WatchOutput w = parse_stdout(r.out);

  EXPECT_EQ(frames_of_rule(w, "person"), person) << describe(r);
  EXPECT_EQ(frames_of_rule(w, "calm"), calm) << describe(r);
  EXPECT_EQ(frames_of_rule(w, "pair"), pair) << describe(r);

  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const nlohmann::json& e : w.events) {
    ASSERT_TRUE(e.contains("time") && e.contains("frame") && e.contains("rule") && e.contains("detections") &&
                e.contains("snapshot"))
        << e.dump();
    EXPECT_TRUE(std::regex_match(e["time"].get<std::string>(), iso)) << e["time"];
    ASSERT_FALSE(e["detections"].empty());
    for (const nlohmann::json& d : e["detections"]) {
      EXPECT_EQ(d["label"], "person");
      EXPECT_EQ(d["class_id"], 0);
      EXPECT_GE(d["score"].get<double>(), kPersonConf);
      ASSERT_EQ(d["box"].size(), 4u);
      EXPECT_LE(d["box"][0].get<double>(), d["box"][2].get<double>());
      EXPECT_LE(d["box"][3].get<double>(), 480.0);
    }
    // The snapshot: <dir>/<rule>-<frame>.jpg, a decodable image of the frame's size.
    std::string snap = e["snapshot"].get<std::string>();
    EXPECT_EQ(fs::path(snap).filename().string(),
              e["rule"].get<std::string>() + "-" + std::to_string(e["frame"].get<int64_t>()) + ".jpg");
    auto img = vision::decode_image_file(snap);
    ASSERT_TRUE(img.ok()) << snap << ": " << img.status().message();
    EXPECT_EQ(img->width, 640);
    EXPECT_EQ(img->height, 480);
  }

  // The log file holds the same lines.
  std::vector<std::string> logged = lines_of(testing::read_all(tmp.file("events.jsonl")));
  EXPECT_EQ(logged, w.event_lines);
#ifdef EDGERUN_HAVE_HTTPLIB
  // The webhook received every event, byte for byte, as JSON.
  EXPECT_EQ(listener.bodies(), w.event_lines);
  for (const std::string& t : listener.types()) EXPECT_EQ(t, "application/json");
#endif

  ASSERT_TRUE(w.summary.is_object()) << describe(r);
  EXPECT_EQ(w.summary["frames"]["read"], vc.frames);
  EXPECT_EQ(w.summary["frames"]["processed"], vc.processed.size());
  EXPECT_EQ(w.summary["frames"]["dropped"], 0);
  EXPECT_EQ(w.summary["frames"]["failed"], 0);
  EXPECT_EQ(w.summary["alerts"]["person"], person.size());
  EXPECT_EQ(w.summary["alerts"]["calm"], calm.size());
  EXPECT_EQ(w.summary["ended"], "end of source");
  EXPECT_NE(r.err.find("watch summary"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("frames: read " + std::to_string(vc.frames) + ", processed " +
                       std::to_string(vc.processed.size()) + ", dropped 0, failed 0"),
            std::string::npos)
      << describe(r);
}

// ---- (d) a truncated video ---------------------------------------------------------------------------------------

TEST(Watch, TruncatedVideoIsReportedAndFinishesCleanly) {
  REQUIRE_VIDEO_CASE();
  const VideoCase& vc = video_case();
  TempDir tmp("trunc");
  std::string cut = tmp.file("cut.mkv");
  {
    std::string bytes = testing::read_all(vc.video);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * 45 / 100);
  }
  CliResult r = run_cli({"watch", cut, "--model", yolo_model(), "--every", std::to_string(kEvery), "--rule",
                         "name=person;classes=person;conf=0.7;cooldown=0", "--no-snapshots", "--stats-interval", "0",
                         "--json-summary"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("watch summary"), std::string::npos) << describe(r);
  WatchOutput w = parse_stdout(r.out);
  ASSERT_TRUE(w.summary.is_object()) << describe(r);
  int64_t read = w.summary["frames"]["read"].get<int64_t>();
  EXPECT_GT(read, 0);
  EXPECT_LT(read, vc.frames);
  // The alerts are those of the complete video, up to where the file ends.
  std::vector<int64_t> expected;
  for (int64_t f : expected_alerts(vc.processed, 1, 0, kVideoFps))
    if (f < read) expected.push_back(f);
  EXPECT_EQ(frames_of_rule(w, "person"), expected) << describe(r);
  for (const nlohmann::json& e : w.events) EXPECT_TRUE(e["snapshot"].is_null());
}

// ---- (b) + (d) a folder, with corrupt images and webhooks that fail --------------------------------------------

TEST(Watch, FolderWithCorruptImagesAndFailingWebhooks) {
  REQUIRE_MODEL();
  TempDir tmp("folder");
  std::string dir = tmp.file("cam");
  fs::create_directories(dir);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(sample_images_dir()))
    if (e.path().extension() == ".jpg") {
      fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
      names.push_back(e.path().filename().string());
    }
  // A JPEG cut short and a file that is no image at all, at the front and the back of the name order.
  std::string bus = testing::read_all(sample_images_dir() + "/bus.jpg");
  std::ofstream(dir + "/broken.jpg", std::ios::binary) << bus.substr(0, 3000);
  std::ofstream(dir + "/zz_garbage.png", std::ios::binary) << "this is not a PNG";
  names.push_back("broken.jpg");
  names.push_back("zz_garbage.png");
  std::sort(names.begin(), names.end());

  // Expected: the frame numbers (positions in name order) of the images with a person >= 0.7.
  auto det = load_detector();
  ASSERT_TRUE(det);
  std::vector<int64_t> expected;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] != "broken.jpg" && names[i] != "zz_garbage.png" && has_person(*det, dir + "/" + names[i]))
      expected.push_back(static_cast<int64_t>(i));
  ASSERT_FALSE(expected.empty());

  // clang-format off
  std::vector<std::string> args = {"watch", dir, "--model", yolo_model(),
                                   "--rule", "name=person;classes=person;conf=0.7;cooldown=0",
                                   "--snapshots", tmp.file("snaps"), "--stats-interval", "0", "--json-summary"};
  // clang-format on
#ifdef EDGERUN_HAVE_HTTPLIB
  std::string refused = closed_port_url();
  Listener slow(/*delay_ms=*/2600);  // answers after the 2 s read timeout
  args.insert(args.end(), {"--webhook", refused, "--webhook", slow.url()});
#endif
  CliResult r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  WatchOutput w = parse_stdout(r.out);
  // Every alert still reaches stdout.
  EXPECT_EQ(frames_of_rule(w, "person"), expected) << describe(r);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("zz_garbage.png"), std::string::npos) << describe(r);
  ASSERT_TRUE(w.summary.is_object()) << describe(r);
  EXPECT_EQ(w.summary["frames"]["failed"], 2);
  EXPECT_EQ(w.summary["frames"]["processed"], names.size() - 2);
#ifdef EDGERUN_HAVE_HTTPLIB
  // Each failure names the URL and the reason.
  EXPECT_NE(r.err.find("webhook " + refused + " failed"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("could not connect"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("webhook " + slow.url()), std::string::npos) << describe(r);
  EXPECT_TRUE(r.err.find("no response within 2 s") != std::string::npos || r.err.find("not sent") != std::string::npos)
      << describe(r);
#endif
}

// ---- (c) SIGTERM in the middle of a run --------------------------------------------------------------------------

TEST(Watch, SigtermMidRunPrintsTheSummaryAndExitsZero) {
  REQUIRE_MODEL();
  TempDir tmp("sigterm");
  std::string dir = tmp.file("incoming");
  fs::create_directories(dir);
  fs::copy_file(sample_images_dir() + "/person.jpg", dir + "/001.jpg");
  // A followed folder never ends by itself.
  testing::CliProcess c({"watch", dir, "--follow", "--poll", "0.05", "--model", yolo_model(), "--rule",
                         "name=person;classes=person;conf=0.7", "--no-snapshots", "--stats-interval", "0"});
  ASSERT_TRUE(c.started());
  bool got_event = c.read_until("\"rule\":\"person\"", 120);
  c.send_signal(got_event ? SIGTERM : SIGKILL);
  CliResult r = c.wait(60);
  ASSERT_TRUE(got_event) << "no event within the limit; " << describe(r);
  ASSERT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped by a signal"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("watch summary"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("alerts: person 1"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), 1u) << r.out;
}

// ---- (d) bad input -----------------------------------------------------------------------------------------------

void expect_error_line(const CliResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_EQ(r.exit_code, code) << describe(r);
  EXPECT_NE(r.err.find("edgerun: error: "), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "'\n" << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST(Watch, MissingCameraIsAClearError) {
  // The source is opened before the model is loaded, so no model is needed to see this error.
  CliResult r = run_cli({"watch", "/dev/video99", "--model", "/nonexistent/model.onnx", "--rule", "classes=0"});
  expect_error_line(r, 1, "'/dev/video99'");
}

TEST(Watch, BadRulesAndOptionsAreUsageErrors) {
  const std::string m = "/nonexistent/model.onnx";
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=person;conf=abc"}), 2, "conf: 'abc'");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=person;colour=red"}), 2,
                    "unknown key 'colour'");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "zone=0,0 1,1"}), 2, "zone");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "name=a", "--rule", "name=a"}), 2,
                    "name 'a' is used by another rule");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m}), 2, "missing --rule");
  expect_error_line(run_cli({"watch", "x.mp4", "--rule", "classes=0"}), 2, "missing --model");
  expect_error_line(run_cli({"watch", "--model", m, "--rule", "classes=0"}), 2, "missing SOURCE");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=0", "--every", "0"}), 2, "--every");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=0", "--webhook", "ftp://h/x"}), 2,
                    "ftp");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=0", "--gpio", "chip"}), 2, "CHIP:LINE");
  expect_error_line(run_cli({"watch", "x.mp4", "--model", m, "--rule", "classes=0", "--follow"}), 2,
                    "--follow applies to a folder");
}

TEST(Watch, SetupErrorsNameTheCulprit) {
  TempDir tmp("setup");
  std::string dir = tmp.file("cam");
  fs::create_directories(dir);
  vision::Image img;
  img.width = img.height = 8;
  img.pixels.assign(8 * 8 * 3, 128);
  ASSERT_TRUE(vision::write_image_file(dir + "/a.png", img).ok());
  // A GPIO chip that does not exist: refused at startup, before the model is loaded.
  CliResult gpio = run_cli(
      {"watch", dir, "--model", "/nonexistent/model.onnx", "--rule", "classes=0", "--gpio", "gpiochip99:17:200"});
  expect_error_line(gpio, 1, "gpiochip99");
  // A log file that cannot be written.
  CliResult log = run_cli({"watch", dir, "--model", "/nonexistent/model.onnx", "--rule", "classes=0", "--log",
                           "/nonexistent/dir/events.jsonl"});
  expect_error_line(log, 1, "/nonexistent/dir/events.jsonl");
  // A folder that does not exist is taken for a video file; either way the error names it.
  CliResult missing = run_cli({"watch", tmp.file("nope"), "--model", "m.onnx", "--rule", "classes=0"});
  expect_error_line(missing, 1, tmp.file("nope"));
  // The model itself.
  CliResult model =
      run_cli({"watch", dir, "--model", "/nonexistent/model.onnx", "--rule", "classes=0", "--no-snapshots"});
  expect_error_line(model, 1, "/nonexistent/model.onnx");
}

TEST(Watch, UnknownClassIsAUsageError) {
  REQUIRE_MODEL();
  TempDir tmp("class");
  CliResult r = run_cli({"watch", sample_images_dir(), "--model", yolo_model(), "--rule", "classes=persn",
                         "--snapshots", tmp.file("snaps")});
  expect_error_line(r, 2, "unknown class 'persn'");
}

TEST(Watch, HelpDocumentsRulesAndEvents) {
  CliResult r = run_cli({"watch", "--help"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* s : {"usage: edgerun watch", "--rule", "cooldown", "zone_px", "bottom-centre", "\"snapshot\"",
                        "--webhook", "--gpio", "--every", "examples:"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace edgerun
