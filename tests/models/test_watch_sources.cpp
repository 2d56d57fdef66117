// Frame sources, pumps and actions of `edgerun watch`, without a model: videos made here with the ffmpeg CLI (read
// back frame by frame, timestamps, pixels, a truncated and a damaged file), folders (order, corrupt images, --follow),
// an HTTP stream that ends and cannot be reopened, a dead stream, a missing camera, the live pump's dropping,
// reconnecting and stopping with scripted fake sources, and the actions (webhook queue, --exec, --log, --gpio).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgerun/vision.h"
#include "test_data.h"
#include "watch/actions.h"
#include "watch/frame_pump.h"
#include "watch/frame_source.h"

#ifdef EDGERUN_HAVE_HTTPLIB
#include <httplib.h>
#endif

namespace edgerun::watch {
namespace {

namespace fs = std::filesystem;

// A fresh folder under /tmp, removed with everything in it when the test ends (also when an assertion fails).
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("edgerun_watch_src_" + std::to_string(getpid()) + "_" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool have_ffmpeg_cli() { return std::system("ffmpeg -hide_banner -version > /dev/null 2>&1") == 0; }

#define REQUIRE_FFMPEG()                                                                                          \
  do {                                                                                                            \
    if (!ffmpeg_available()) GTEST_SKIP() << "edgerun was built without FFmpeg";                                  \
    if (!have_ffmpeg_cli()) GTEST_SKIP() << "the ffmpeg command-line tool is not installed (apt install ffmpeg)"; \
  } while (0)

int run(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

// 10 frames of FFmpeg's test pattern, 160x120, 5 fps, lossless (FFV1 with slice CRCs, so damage is detected).
fs::path make_test_video(const fs::path& dir) {
  fs::path video = dir / "test.mkv";
  int rc =
      run("ffmpeg -y -f lavfi -i testsrc=size=160x120:rate=5 -frames:v 10 -c:v ffv1 -level 3 -slicecrc 1 "
          "-pix_fmt bgr0 '" +
          video.string() + "'");
  EXPECT_EQ(rc, 0) << "ffmpeg failed to make " << video;
  return video;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

vision::Image solid_image(int w, int h, uint8_t v) {
  vision::Image img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h * 3, v);
  return img;
}

struct Collected {
  std::vector<ReadResult> results;
  int frames = 0, corrupt = 0;
  ReadResult last;
};

// Reads until kEnd/kBroken (at most `limit` reads, so that a bug cannot hang the test).
Collected read_all(FrameSource& src, bool convert, int limit = 1000) {
  Collected c;
  for (int i = 0; i < limit; ++i) {
    ReadResult r = src.read(convert);
    if (r.status == ReadStatus::kFrame) ++c.frames;
    if (r.status == ReadStatus::kCorrupt) ++c.corrupt;
    if (r.status == ReadStatus::kEnd || r.status == ReadStatus::kBroken) {
      c.last = r;
      return c;
    }
    c.results.push_back(std::move(r));
  }
  ADD_FAILURE() << "the source did not end within " << limit << " reads";
  return c;
}

// ---- FFmpeg sources ---------------------------------------------------------------------------------------------

TEST(WatchSources, VideoFileFramesTimesAndPixels) {
  REQUIRE_FFMPEG();
  TempDir tmp("video");
  const fs::path& dir = tmp.path();
  fs::path video = make_test_video(dir);
  ASSERT_EQ(classify_source(video.string()), SourceKind::kVideo);
  auto src = open_source(video.string(), SourceOptions{});
  ASSERT_TRUE(src.ok()) << src.status().message();
  EXPECT_NE((*src)->describe().find("ffv1 160x120"), std::string::npos) << (*src)->describe();

  // Frame 3 as the ffmpeg CLI decodes it, for a pixel-exact comparison.
  ASSERT_EQ(run("ffmpeg -y -i '" + video.string() + "' -vf 'select=eq(n\\,3)' -frames:v 1 -pix_fmt rgb24 '" +
                (dir / "f3.png").string() + "'"),
            0);
  auto f3 = vision::decode_image_file((dir / "f3.png").string());
  ASSERT_TRUE(f3.ok()) << f3.status().message();

  Collected c = read_all(**src, true);
  ASSERT_EQ(c.frames, 10);
  EXPECT_EQ(c.corrupt, 0);
  EXPECT_EQ(c.last.status, ReadStatus::kEnd);
  EXPECT_EQ(c.last.message, "") << "a complete file must end without a complaint";
  for (int i = 0; i < 10; ++i) {
    const Frame& f = c.results[static_cast<size_t>(i)].frame;
    EXPECT_NEAR(f.time_s, i * 0.2, 1e-6) << "frame " << i;
    EXPECT_EQ(f.image.width, 160);
    EXPECT_EQ(f.image.height, 120);
  }
  EXPECT_EQ(c.results[3].frame.image.pixels, f3->pixels);

  // Without conversion: the same frames, no pixels.
  auto again = open_source(video.string(), SourceOptions{});
  ASSERT_TRUE(again.ok());
  Collected d = read_all(**again, false);
  EXPECT_EQ(d.frames, 10);
  EXPECT_TRUE(d.results[0].frame.image.pixels.empty());
}

TEST(WatchSources, TruncatedVideoEndsWithAReport) {
  REQUIRE_FFMPEG();
  TempDir tmp("trunc");
  const fs::path& dir = tmp.path();
  std::vector<uint8_t> bytes = read_bytes(make_test_video(dir));
  ASSERT_GT(bytes.size(), 4000u);
  bytes.resize(bytes.size() * 45 / 100);
  write_bytes(dir / "cut.mkv", bytes);
  auto src = open_source((dir / "cut.mkv").string(), SourceOptions{});
  ASSERT_TRUE(src.ok()) << src.status().message();
  Collected c = read_all(**src, true);
  EXPECT_GT(c.frames, 0);
  EXPECT_LT(c.frames, 10);
  EXPECT_EQ(c.last.status, ReadStatus::kEnd);
  EXPECT_NE(c.last.message.find("truncated"), std::string::npos) << c.last.message;
  // Reading on after the end stays at the end.
  EXPECT_EQ((*src)->read(true).status, ReadStatus::kEnd);
}

TEST(WatchSources, DamagedFrameIsReportedAndReadingGoesOn) {
  REQUIRE_FFMPEG();
  TempDir tmp("damaged");
  const fs::path& dir = tmp.path();
  // One PNG per frame, so that a damaged frame is certain to fail: its packet loses the PNG signature. NUT, because
  // for Matroska and AVI FFmpeg re-splits PNG packets at signatures, which would merge the damaged frame with the next.
  fs::path video = dir / "png.nut";
  ASSERT_EQ(run("ffmpeg -y -f lavfi -i testsrc=size=160x120:rate=5 -frames:v 10 -c:v png -pix_fmt rgb24 '" +
                video.string() + "'"),
            0);
  // The 5th PNG signature in the file starts frame 4's data.
  std::vector<uint8_t> bytes = read_bytes(video);
  const std::string signature = "\x89PNG\r\n\x1a\n";
  std::string text(bytes.begin(), bytes.end());
  size_t at = std::string::npos;
  for (int k = 0, from = 0; k < 5; ++k, from = static_cast<int>(at) + 1) {
    at = text.find(signature, static_cast<size_t>(from));
    ASSERT_NE(at, std::string::npos) << "PNG frame " << k << " not found";
  }
  for (size_t i = at; i < at + signature.size(); ++i) bytes[i] = 0;
  write_bytes(dir / "bad.nut", bytes);

  auto src = open_source((dir / "bad.nut").string(), SourceOptions{});
  ASSERT_TRUE(src.ok()) << src.status().message();
  Collected c = read_all(**src, true);
  EXPECT_EQ(c.corrupt, 1);
  EXPECT_EQ(c.frames, 9) << "the frames after the damaged one must still be read";
  for (const ReadResult& r : c.results)
    if (r.status == ReadStatus::kCorrupt) {
      EXPECT_NE(r.message.find("bad.nut"), std::string::npos) << r.message;
      EXPECT_NE(r.message.find("at 0.8 s"), std::string::npos) << r.message;
    }
  // The frame after the damage keeps its media time.
  ASSERT_EQ(c.results.size(), 10u);
  EXPECT_EQ(c.results[4].status, ReadStatus::kCorrupt);
  EXPECT_NEAR(c.results[5].frame.time_s, 1.0, 1e-6);
}

TEST(WatchSources, MissingInputsAreClearErrors) {
  auto cam = open_source("/dev/video99", SourceOptions{});
  ASSERT_FALSE(cam.ok());
  EXPECT_NE(cam.status().message().find("camera '/dev/video99'"), std::string::npos) << cam.status().message();
  auto file = open_source("/nonexistent/clip.mp4", SourceOptions{});
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("/nonexistent/clip.mp4"), std::string::npos) << file.status().message();
  EXPECT_EQ(classify_source("rtsp://cam/stream"), SourceKind::kStream);
  EXPECT_EQ(classify_source("http://x/y.mjpg"), SourceKind::kStream);
  EXPECT_EQ(classify_source("-"), SourceKind::kPipe);
  EXPECT_EQ(classify_source("/dev/video0"), SourceKind::kCamera);
  EXPECT_TRUE(source_is_live(SourceKind::kCamera));
  EXPECT_FALSE(source_is_live(SourceKind::kVideo));
}

TEST(WatchSources, DeadStreamTimesOut) {
  if (!ffmpeg_available()) GTEST_SKIP() << "edgerun was built without FFmpeg";
  // A listening socket that never accepts: the kernel completes the TCP handshake, then nothing ever arrives.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  SourceOptions o;
  o.io_timeout_s = 0.5;
  auto src = open_source("http://127.0.0.1:" + std::to_string(port) + "/live.mkv", o);
  close(fd);
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("--io-timeout"), std::string::npos) << src.status().message();
}

#ifdef EDGERUN_HAVE_HTTPLIB
TEST(WatchSources, HttpStreamEndsThenReconnectGivesUp) {
  REQUIRE_FFMPEG();
  TempDir tmp("http");
  const fs::path& dir = tmp.path();
  std::vector<uint8_t> bytes = read_bytes(make_test_video(dir));
  std::string body(bytes.begin(), bytes.end());
  std::atomic<bool> down{false};
  httplib::Server server;
  server.Get("/live.mkv", [&](const httplib::Request&, httplib::Response& res) {
    if (down)
      res.status = 503;  // the camera is gone
    else
      res.set_content(body, "video/x-matroska");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.mkv";

  SourceOptions so;
  so.io_timeout_s = 5;
  auto src = open_source(url, so);
  ASSERT_TRUE(src.ok()) << src.status().message();
  down = true;  // the open connection goes on to the end; every reconnect fails
  PumpOptions po;
  po.reconnect = 2;
  po.backoff_initial_s = 0.01;
  std::atomic<int> reopens{0};
  auto pump = make_live_pump(
      std::move(*src),
      [&]() -> Expected<std::unique_ptr<FrameSource>> {
        ++reopens;
        return open_source(url, so);
      },
      po);
  int frames = 0;
  int64_t last_index = -1;
  for (int i = 0; i < 2000; ++i) {
    PumpResult r = pump->next(0.1);
    if (r.status == PumpStatus::kEnd) break;
    if (r.status == PumpStatus::kFrame) {
      ++frames;
      EXPECT_GT(r.frame.index, last_index);
      last_index = r.frame.index;
      EXPECT_EQ(r.frame.image.width, 160);
    }
  }
  EXPECT_EQ(pump->end_reason(), PumpEnd::kGaveUp);
  EXPECT_EQ(reopens.load(), 2);
  EXPECT_GE(frames, 1);
  PumpCounts c = pump->counts();
  EXPECT_EQ(c.read, 10);
  EXPECT_EQ(c.dropped + frames, 10) << "every frame was either processed or dropped";
  EXPECT_EQ(c.reconnects, 0);
  server.stop();
  listener.join();
}
#endif

// ---- folders ----------------------------------------------------------------------------------------------------

TEST(WatchSources, FolderInNameOrderWithCorruptImages) {
  TempDir tmp("folder");
  const fs::path& dir = tmp.path();
  ASSERT_TRUE(vision::write_image_file((dir / "b.png").string(), solid_image(8, 6, 20)).ok());
  ASSERT_TRUE(vision::write_image_file((dir / "a.jpg").string(), solid_image(8, 6, 200)).ok());
  ASSERT_TRUE(vision::write_image_file((dir / "C.png").string(), solid_image(4, 4, 90)).ok());
  write_bytes(dir / "d.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F'});  // a JPEG cut short
  write_bytes(dir / "notes.txt", {'h', 'i'});                                  // not an image: ignored
  ASSERT_TRUE(vision::write_image_file((dir / ".hidden.png").string(), solid_image(4, 4, 1)).ok());  // ignored
  fs::create_directories(dir / "sub.jpg");                                                           // ignored
  ASSERT_EQ(classify_source(dir.string()), SourceKind::kFolder);
  SourceOptions o;
  o.folder_fps = 4;
  auto src = open_source(dir.string(), o);
  ASSERT_TRUE(src.ok()) << src.status().message();
  Collected c = read_all(**src, true);
  ASSERT_EQ(c.results.size(), 4u);
  EXPECT_EQ(c.frames, 3);
  EXPECT_EQ(c.corrupt, 1);
  // Byte-wise name order: upper case first.
  EXPECT_EQ(fs::path(c.results[0].frame.name).filename(), "C.png");
  EXPECT_EQ(fs::path(c.results[1].frame.name).filename(), "a.jpg");
  EXPECT_EQ(fs::path(c.results[2].frame.name).filename(), "b.png");
  EXPECT_EQ(c.results[3].status, ReadStatus::kCorrupt);
  EXPECT_NE(c.results[3].message.find("d.jpg"), std::string::npos) << c.results[3].message;
  EXPECT_EQ(c.results[0].frame.image.width, 4);
  EXPECT_EQ(c.results[2].frame.image.pixels[0], 20);
  EXPECT_DOUBLE_EQ(c.results[2].frame.time_s, 0.5);  // image 2 at 4 fps
}

TEST(WatchSources, FolderErrors) {
  auto missing = open_source("/nonexistent/folder/", SourceOptions{});
  // Not a directory on disk, so it is taken for a video; either way the error names it.
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/folder/"), std::string::npos);
  auto missing_folder = open_folder_source("/nonexistent/folder", SourceOptions{});
  ASSERT_FALSE(missing_folder.ok());
  EXPECT_NE(missing_folder.status().message().find("does not exist"), std::string::npos);
  TempDir tmp("empty");
  const fs::path& dir = tmp.path();
  auto empty = open_source(dir.string(), SourceOptions{});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no JPEG, PNG or BMP images"), std::string::npos);
  SourceOptions follow;
  follow.follow = true;
  EXPECT_TRUE(open_source(dir.string(), follow).ok()) << "a followed folder may start empty";
}

TEST(WatchSources, FollowedFolderPicksUpNewImages) {
  TempDir tmp("follow");
  const fs::path& dir = tmp.path();
  ASSERT_TRUE(vision::write_image_file((dir / "001.png").string(), solid_image(4, 4, 1)).ok());
  SourceOptions o;
  o.follow = true;
  o.poll_s = 0.01;
  auto src = open_source(dir.string(), o);
  ASSERT_TRUE(src.ok()) << src.status().message();
  ReadResult first = (*src)->read(true);
  ASSERT_EQ(first.status, ReadStatus::kFrame);
  EXPECT_EQ(fs::path(first.frame.name).filename(), "001.png");
  EXPECT_EQ((*src)->read(true).status, ReadStatus::kIdle);
  ASSERT_TRUE(vision::write_image_file((dir / "003.png").string(), solid_image(4, 4, 3)).ok());
  ASSERT_TRUE(vision::write_image_file((dir / "002.png").string(), solid_image(4, 4, 2)).ok());
  // New files are taken once their size has held still for one poll; bounded so a bug fails instead of hanging.
  std::vector<std::string> names;
  for (int i = 0; i < 500 && names.size() < 2; ++i) {
    ReadResult r = (*src)->read(true);
    ASSERT_NE(r.status, ReadStatus::kEnd);
    if (r.status == ReadStatus::kFrame) names.push_back(fs::path(r.frame.name).filename().string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"002.png", "003.png"}));
  EXPECT_EQ((*src)->read(true).status, ReadStatus::kIdle);
}

// ---- pumps ------------------------------------------------------------------------------------------------------

// A scripted source: `frames` frames (index in the first pixel), then kBroken or kEnd; optionally it holds (kIdle)
// after `hold_after` frames until released.
class FakeSource : public FrameSource {
 public:
  FakeSource(int frames, ReadStatus at_end, int hold_after = -1)
      : frames_(frames), at_end_(at_end), hold_after_(hold_after) {}
  ReadResult read(bool convert) override {
    ReadResult r;
    if (hold_after_ >= 0 && produced_ >= hold_after_ && !released.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      r.status = ReadStatus::kIdle;
      return r;
    }
    if (produced_ >= frames_) {
      r.status = at_end_;
      r.message = at_end_ == ReadStatus::kBroken ? "fake: connection lost" : "";
      return r;
    }
    r.status = ReadStatus::kFrame;
    r.frame.time_s = produced_;
    if (convert) r.frame.image = solid_image(2, 2, static_cast<uint8_t>(produced_));
    ++produced_;
    return r;
  }
  std::string describe() const override { return "fake"; }
  std::atomic<bool> released{false};

 private:
  int frames_;
  ReadStatus at_end_;
  int hold_after_;
  int produced_ = 0;
};

TEST(WatchPump, SequentialEveryNthAndMaxFrames) {
  PumpOptions o;
  o.every = 3;
  auto pump = make_sequential_pump(std::make_unique<FakeSource>(10, ReadStatus::kEnd), o);
  std::vector<int64_t> got;
  for (int i = 0; i < 100; ++i) {
    PumpResult r = pump->next(1);
    if (r.status == PumpStatus::kEnd) break;
    ASSERT_EQ(r.status, PumpStatus::kFrame);
    EXPECT_EQ(r.frame.image.pixels.at(0), r.frame.index) << "only processed frames are converted, and all of them";
    got.push_back(r.frame.index);
  }
  EXPECT_EQ(got, (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(pump->counts().read, 10);
  EXPECT_EQ(pump->counts().dropped, 0);
  EXPECT_EQ(pump->end_reason(), PumpEnd::kSourceEnded);

  o.max_frames = 5;
  auto limited = make_sequential_pump(std::make_unique<FakeSource>(10, ReadStatus::kEnd), o);
  got.clear();
  for (int i = 0; i < 100; ++i) {
    PumpResult r = limited->next(1);
    if (r.status == PumpStatus::kEnd) break;
    got.push_back(r.frame.index);
  }
  EXPECT_EQ(got, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(limited->counts().read, 5);
  EXPECT_EQ(limited->end_reason(), PumpEnd::kMaxFrames);
}

TEST(WatchPump, LiveKeepsOnlyTheNewestFrame) {
  // 10 frames arrive while the loop is busy; it then gets only the newest, and the 9 before it count as dropped.
  auto fake = std::make_unique<FakeSource>(12, ReadStatus::kBroken, /*hold_after=*/10);
  FakeSource* raw = fake.get();
  auto pump = make_live_pump(std::move(fake), nullptr, PumpOptions{});
  for (int i = 0; i < 5000 && pump->counts().read < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(pump->counts().read, 10);
  PumpResult r = pump->next(5);
  ASSERT_EQ(r.status, PumpStatus::kFrame);
  EXPECT_EQ(r.frame.index, 9);
  EXPECT_EQ(r.frame.image.pixels.at(0), 9);
  EXPECT_EQ(pump->counts().dropped, 9);
  raw->released = true;
  std::vector<int64_t> rest;
  for (int i = 0; i < 200; ++i) {
    PumpResult n = pump->next(0.1);
    if (n.status == PumpStatus::kEnd) break;
    if (n.status == PumpStatus::kFrame) rest.push_back(n.frame.index);
  }
  // Frames 10 and 11 come after the release; whether 10 is replaced before it is taken depends on the scheduler, but
  // the last frame is never lost and nothing is counted twice.
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), 11);
  PumpCounts c = pump->counts();
  EXPECT_EQ(c.read, 12);
  EXPECT_EQ(c.dropped + 1 + static_cast<int64_t>(rest.size()), 12);
  EXPECT_EQ(pump->end_reason(), PumpEnd::kSourceEnded) << "no reopen function: a broken source just ends";
}

TEST(WatchPump, LiveReconnectsThenGivesUp) {
  std::atomic<int> opens{0};
  PumpOptions o;
  o.reconnect = 3;
  o.backoff_initial_s = 0.001;
  o.backoff_max_s = 0.004;
  auto pump = make_live_pump(
      std::make_unique<FakeSource>(2, ReadStatus::kBroken),
      [&]() -> Expected<std::unique_ptr<FrameSource>> {
        // The first reopen works (and breaks again after 2 frames), every later one fails.
        if (opens++ == 0) return std::unique_ptr<FrameSource>(std::make_unique<FakeSource>(2, ReadStatus::kBroken));
        return io_error("fake: cannot connect");
      },
      o);
  std::vector<int64_t> indices;
  for (int i = 0; i < 2000; ++i) {
    PumpResult r = pump->next(0.05);
    if (r.status == PumpStatus::kEnd) break;
    if (r.status == PumpStatus::kFrame) indices.push_back(r.frame.index);
  }
  EXPECT_EQ(pump->end_reason(), PumpEnd::kGaveUp);
  EXPECT_EQ(opens.load(), 1 + 3) << "one successful reopen, then 3 failed attempts";
  PumpCounts c = pump->counts();
  EXPECT_EQ(c.read, 4);
  EXPECT_EQ(c.reconnects, 1);
  // Frame numbers go on across the reconnect.
  ASSERT_FALSE(indices.empty());
  EXPECT_EQ(indices.back(), 3);
  for (size_t i = 1; i < indices.size(); ++i) EXPECT_GT(indices[i], indices[i - 1]);
}

TEST(WatchPump, LiveStopsOnTheFlag) {
  std::atomic<bool> stop{false};
  PumpOptions o;
  o.stop = &stop;
  auto fake = std::make_unique<FakeSource>(100, ReadStatus::kBroken, /*hold_after=*/3);
  auto pump = make_live_pump(std::move(fake), nullptr, o);
  stop = true;
  PumpResult r;
  for (int i = 0; i < 200; ++i) {
    r = pump->next(0.05);
    if (r.status == PumpStatus::kEnd) break;
  }
  EXPECT_EQ(r.status, PumpStatus::kEnd);
  EXPECT_EQ(pump->end_reason(), PumpEnd::kStopped);
  pump->shutdown();
}

// ---- actions ----------------------------------------------------------------------------------------------------

Event test_event(int64_t frame) {
  Event e;
  e.time_ms = 1714566896789 + frame;
  e.frame = frame;
  e.rule = "gate";
  e.snapshot = "snapshots/gate-" + std::to_string(frame) + ".jpg";
  return e;
}

#ifdef EDGERUN_HAVE_HTTPLIB
TEST(WatchActions, WebhookQueueIsBoundedAndDeliversInOrder) {
  // The receiver holds its first request until released, so the worker is busy while more events arrive.
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::vector<std::string> bodies;
  httplib::Server server;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    bodies.push_back(req.body);
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    res.set_content("", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });
  WebhookOptions o;
  o.read_timeout_s = 20;  // never reached: the test releases the receiver
  o.queue_size = 2;
  auto hook = make_webhook_action("http://127.0.0.1:" + std::to_string(port) + "/hook", o);
  ASSERT_TRUE(hook.ok()) << hook.status().message();
  std::vector<std::string> sent;
  auto fire = [&](int64_t frame) {
    Event e = test_event(frame);
    std::string json = event_to_json(e);
    sent.push_back(json);
    (*hook)->fire(e, json);
  };
  fire(0);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return !bodies.empty(); }));
  }
  // Event 0 is in flight: 1 and 2 wait in the queue, 3 and 4 find it full. fire() returned at once each time, with
  // the receiver still blocked.
  for (int64_t f = 1; f <= 4; ++f) fire(f);
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  (*hook)->finish(Clock::now() + std::chrono::seconds(30));
  server.stop();
  listener.join();
  EXPECT_EQ(bodies, (std::vector<std::string>{sent[0], sent[1], sent[2]}));
  EXPECT_EQ((*hook)->summary(),
            "webhook http://127.0.0.1:" + std::to_string(port) + "/hook: 3 sent, 0 failed, 2 dropped (queue full)");
}

TEST(WatchActions, WebhookFailuresAreCountedNotFatal) {
  // Nothing listens on a port the kernel gave to a socket that is closed again.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/hook";
  auto hook = make_webhook_action(url);
  ASSERT_TRUE(hook.ok()) << hook.status().message();
  for (int64_t f = 0; f < 3; ++f) (*hook)->fire(test_event(f), event_to_json(test_event(f)));
  (*hook)->finish(Clock::now() + std::chrono::seconds(30));
  EXPECT_EQ((*hook)->summary(), "webhook " + url + ": 0 sent, 3 failed");
  // Events after finish() are ignored, not queued.
  (*hook)->fire(test_event(9), "{}");
  EXPECT_EQ((*hook)->summary(), "webhook " + url + ": 0 sent, 3 failed");
}
#endif

TEST(WatchActions, ExecGetsTheEventAndReportsFailures) {
  TempDir tmp("exec");
  const fs::path& dir = tmp.path();
  // Writes the event JSON to a file named by the frame; frame 1 exits with status 3.
  std::string cmd = "printf '%s' \"$EDGERUN_EVENT\" > '" + dir.string() +
                    "'/event_$EDGERUN_FRAME.json; echo \"$EDGERUN_RULE $EDGERUN_SNAPSHOT\" > '" + dir.string() +
                    "'/env_$EDGERUN_FRAME.txt; test $EDGERUN_FRAME != 1 || exit 3";
  auto exec = make_exec_action(cmd);
  ASSERT_TRUE(exec.ok()) << exec.status().message();
  std::vector<std::string> sent;
  for (int64_t f = 0; f < 3; ++f) {
    sent.push_back(event_to_json(test_event(f)));
    (*exec)->fire(test_event(f), sent.back());
  }
  (*exec)->finish(Clock::now() + std::chrono::seconds(60));
  for (int f = 0; f < 3; ++f) {
    std::ifstream in(dir / ("event_" + std::to_string(f) + ".json"));
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, sent[static_cast<size_t>(f)]);
    std::ifstream env(dir / ("env_" + std::to_string(f) + ".txt"));
    std::string line;
    std::getline(env, line);
    EXPECT_EQ(line, "gate snapshots/gate-" + std::to_string(f) + ".jpg");
  }
  EXPECT_EQ((*exec)->summary(), "exec: 3 started, 1 failed");
}

TEST(WatchActions, LogAppendsLines) {
  TempDir tmp("log");
  const fs::path& dir = tmp.path();
  std::string path = (dir / "events.jsonl").string();
  write_bytes(path, {'o', 'l', 'd', '\n'});
  {
    auto log = make_log_action(path);
    ASSERT_TRUE(log.ok()) << log.status().message();
    (*log)->fire(test_event(1), "{\"a\":1}");
    // Flushed per event: the line is in the file before the action is finished.
    std::vector<uint8_t> now = read_bytes(path);
    EXPECT_EQ(std::string(now.begin(), now.end()), "old\n{\"a\":1}\n");
    (*log)->fire(test_event(2), "{\"a\":2}");
    (*log)->finish(Clock::now());
  }
  std::vector<uint8_t> bytes = read_bytes(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "old\n{\"a\":1}\n{\"a\":2}\n");
  auto bad = make_log_action((dir / "missing" / "x.jsonl").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("missing/x.jsonl"), std::string::npos);
}

TEST(WatchActions, GpioChipThatDoesNotExist) {
  auto spec = parse_gpio_spec("gpiochip99:3:100");
  ASSERT_TRUE(spec.ok());
  auto gpio = make_gpio_action(*spec);
  ASSERT_FALSE(gpio.ok());
  EXPECT_NE(gpio.status().message().find("gpiochip99"), std::string::npos) << gpio.status().message();
}

}  // namespace
}  // namespace edgerun::watch
