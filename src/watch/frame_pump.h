// Between a frame source and the frame loop: numbers the frames, picks every Nth for processing, reports corrupt
// frames, and for live sources reads on its own thread, keeping only the newest frame to process (so processing
// never lags behind the camera) and reconnecting with backoff when the source breaks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "watch/frame_source.h"

namespace edgerun::watch {

struct PumpOptions {
  int64_t every = 1;             // process frames 0, N, 2N, ...
  int64_t max_frames = 0;        // stop after reading this many frames; 0 = no limit
  int reconnect = 10;            // live: reopen attempts in a row (without a frame in between) before giving up
  double backoff_initial_s = 1;  // live: wait before reopen attempt k = initial * 2^(k-1), at most backoff_max_s
  double backoff_max_s = 30;
  const std::atomic<bool>* stop = nullptr;
};

// Opens the source again after it broke; empty = it cannot be reopened (stdin).
using SourceOpener = std::function<Expected<std::unique_ptr<FrameSource>>()>;

struct PumpCounts {
  int64_t read = 0;        // frames taken from the source (processed or not), corrupt ones excluded
  int64_t dropped = 0;     // live: frames due for processing, replaced by a newer one before the loop took them
  int64_t corrupt = 0;     // frames or images that could not be decoded
  int64_t reconnects = 0;  // live: successful reopens
};

enum class PumpEnd {
  kNone,         // not ended
  kSourceEnded,  // end of the file, folder or stdin (early ends, e.g. truncation, were reported)
  kMaxFrames,    // --max-frames reached
  kStopped,      // the stop flag was set
  kGaveUp,       // live: the source broke and every reopen attempt failed
};
const char* pump_end_name(PumpEnd end);  // "end of source", "max frames reached", "stopped", "source lost"

enum class PumpStatus { kFrame, kTimeout, kEnd };

struct PumpResult {
  PumpStatus status = PumpStatus::kEnd;
  Frame frame;  // kFrame: a frame to process (index % every == 0), with its image
};

class FramePump {
 public:
  virtual ~FramePump() = default;
  // The next frame to process, waiting at most about timeout_s (files and folders return as soon as they have read
  // one; a followed folder returns kTimeout after a poll without news).
  virtual PumpResult next(double timeout_s) = 0;
  virtual PumpCounts counts() const = 0;
  virtual PumpEnd end_reason() const = 0;
  // Stops reading (live: ends the reader thread, or leaves it behind after a grace period if the source does not
  // answer). Idempotent; also done by the destructor.
  virtual void shutdown() {}
};

// Files and folders: read on the caller's thread, nothing dropped.
std::unique_ptr<FramePump> make_sequential_pump(std::unique_ptr<FrameSource> source, const PumpOptions& options);
// Cameras, streams, stdin: a reader thread and a one-frame slot.
std::unique_ptr<FramePump> make_live_pump(std::unique_ptr<FrameSource> source, SourceOpener reopen,
                                          const PumpOptions& options);

}  // namespace edgerun::watch
