// Frame sources for `edgerun watch`: V4L2 cameras, video files, network streams and stdin through FFmpeg, folders of
// images through the vision decoders. A source yields frames one by one; it never decides what is processed (the
// pump does) but converts to RGB only the frames it is asked to, since that conversion is most of a skipped frame's
// cost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "edgerun/status.h"
#include "edgerun/vision.h"

namespace edgerun::watch {

enum class SourceKind {
  kCamera,  // /dev/videoN, /dev/v4l/...: V4L2 through libavdevice
  kStream,  // rtsp://, http(s)://, rtmp://, udp://, tcp://, srt://...
  kPipe,    // "-": a stream on stdin (e.g. rpicam-vid ... -o -)
  kVideo,   // a file FFmpeg can read
  kFolder,  // a directory of JPEG/PNG/BMP images
};
// "camera", "stream", "stdin", "video", "folder" (inline: the FFmpeg module uses it too).
inline const char* source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::kCamera: return "camera";
    case SourceKind::kStream: return "stream";
    case SourceKind::kPipe: return "stdin";
    case SourceKind::kVideo: return "video";
    case SourceKind::kFolder: return "folder";
  }
  return "source";
}

// From the text alone, except a directory (checked on disk).
SourceKind classify_source(const std::string& source);
// Cameras, streams and stdin deliver frames at their own pace whether or not they are read: they are read on a
// grabber thread that keeps only the newest frame. Files and folders are read on demand and lose no frame.
inline bool source_is_live(SourceKind kind) {
  return kind == SourceKind::kCamera || kind == SourceKind::kStream || kind == SourceKind::kPipe;
}

struct SourceOptions {
  double io_timeout_s = 5;                  // no data for this long = the stream is dead (open and read)
  std::string rtsp_transport = "tcp";       // tcp | udp
  std::string camera_size;                  // "1280x720"; empty = the driver's default
  std::string camera_fps;                   // "30"; empty = the driver's default
  std::string camera_format;                // "mjpeg", "yuyv422"; empty = the driver's default
  bool follow = false;                      // folder: keep polling for new images
  double poll_s = 0.5;                      // folder --follow poll interval
  double folder_fps = 1;                    // folder without --follow: media time of image i = i / folder_fps
  bool ffmpeg_log = false;                  // let FFmpeg print its own warnings
  const std::atomic<bool>* stop = nullptr;  // set by a signal: blocking reads give up
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();  // live time 0
};

struct Frame {
  int64_t index = 0;    // set by the pump: frames counted from 0, corrupt ones included
  double time_s = 0;    // files: presentation time (PTS) from the start; live sources and followed folders: seconds
                        // of wall time since SourceOptions::epoch
  std::string name;     // folder: the image's path
  vision::Image image;  // empty when the frame was read without conversion
};

enum class ReadStatus {
  kFrame,    // frame filled
  kCorrupt,  // a frame (or image) that could not be decoded; message says why; the source goes on
  kIdle,     // nothing new yet (a followed folder); try again
  kEnd,      // the end; message non-empty when it ended early (a truncated or damaged file)
  kBroken,   // a live source failed (disconnected, timed out): reopen it to go on; message says why
};

struct ReadResult {
  ReadStatus status = ReadStatus::kEnd;
  Frame frame;
  std::string message;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next frame; converted to RGB only when `convert` (otherwise frame.image stays empty).
  virtual ReadResult read(bool convert) = 0;
  // "video 'cars.mp4' (h264 1920x1080, 30 fps, 900 frames)"
  virtual std::string describe() const = 0;
};

// Opens any kind of source; errors name it ("cannot open camera '/dev/video99': No such file or directory").
Expected<std::unique_ptr<FrameSource>> open_source(const std::string& source, const SourceOptions& options);

Expected<std::unique_ptr<FrameSource>> open_folder_source(const std::string& dir, const SourceOptions& options);
// Cameras, streams, stdin and video files, through the FFmpeg module libedgerun_ffmpeg.so
// (src/watch/ffmpeg_module/), loaded on first use from $EDGERUN_MODULE_DIR, the executable's directory,
// <exe>/../lib/edgerun or the build directory. Without FFmpeg at build time, or when the module cannot be loaded: an
// error saying so.
Expected<std::unique_ptr<FrameSource>> open_ffmpeg_source(const std::string& source, SourceKind kind,
                                                          const SourceOptions& options);
// Whether edgerun was built with FFmpeg (the module may still fail to load; open_ffmpeg_source then says why).
bool ffmpeg_available();
// The module's entry point: it returns its open function when the shared structs have the sizes the caller expects.
using FfmpegOpenFn = Expected<std::unique_ptr<FrameSource>> (*)(const std::string& source, SourceKind kind,
                                                                const SourceOptions& options);

// True for .jpg/.jpeg/.png/.bmp (case-insensitive).
bool is_image_file_name(const std::string& name);

}  // namespace edgerun::watch
