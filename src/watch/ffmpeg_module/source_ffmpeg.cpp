// The FFmpeg module of `edgerun watch` (libedgerun_ffmpeg.so, loaded with dlopen by src/watch/frame_source.cpp the
// first time a camera, stream, stdin or video file is opened). Cameras (V4L2), streams, stdin and video files through
// FFmpeg: demux (libavformat), decode (libavcodec), convert to RGB24 (libswscale). Every blocking FFmpeg call of a
// live source runs under a deadline checked by FFmpeg's interrupt callback, so a dead camera or stream ends as an error
// instead of a hang.
//
// Why a module: libavdevice and libavformat pull in ~210 shared libraries (codecs, X11, SDL, PulseAudio, ...). Linked
// into the CLI they were loaded and relocated by every `edgerun` command, costing ~0.1 s and ~40 MB of RSS before
// any model was read. Only this file calls FFmpeg; it uses nothing from the edgerun library but inline header code.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "watch/frame_source.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>
}

namespace edgerun::watch {

namespace fs = std::filesystem;

namespace {

std::string av_error(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", s);
  return buf;
}

class FfmpegSource : public FrameSource {
 public:
  FfmpegSource(std::string source, SourceKind kind, const SourceOptions& options)
      : source_(std::move(source)), kind_(kind), options_(options), live_(source_is_live(kind)) {}

  ~FfmpegSource() override {
    sws_freeContext(sws_);
    av_frame_free(&rgb_);
    av_frame_free(&frame_);
    av_packet_free(&pkt_);
    avcodec_free_context(&dec_);
    if (fmt_) avformat_close_input(&fmt_);
  }

  Status open() {
    std::string what = std::string(source_kind_name(kind_)) + " '" + source_ + "'";
    const AVInputFormat* input_format = nullptr;
    AVDictionary* opts = nullptr;
    std::string url = source_;
    if (kind_ == SourceKind::kCamera) {
      static std::once_flag once;
      std::call_once(once, [] { avdevice_register_all(); });
      std::error_code ec;
      if (!fs::exists(source_, ec)) return not_found("cannot open ", what, ": no such device", list_cameras());
      input_format = av_find_input_format("video4linux2");
      if (!input_format) return unsupported("cannot open ", what, ": this FFmpeg has no video4linux2 input");
      if (!options_.camera_size.empty()) av_dict_set(&opts, "video_size", options_.camera_size.c_str(), 0);
      if (!options_.camera_fps.empty()) av_dict_set(&opts, "framerate", options_.camera_fps.c_str(), 0);
      if (!options_.camera_format.empty()) av_dict_set(&opts, "input_format", options_.camera_format.c_str(), 0);
    } else if (kind_ == SourceKind::kStream) {
      static std::once_flag once;
      std::call_once(once, [] { avformat_network_init(); });
      if (source_.rfind("rtsp", 0) == 0) av_dict_set(&opts, "rtsp_transport", options_.rtsp_transport.c_str(), 0);
    } else if (kind_ == SourceKind::kPipe) {
      url = "pipe:0";
    }

    fmt_ = avformat_alloc_context();
    if (!fmt_) return internal_error("out of memory opening ", what);
    fmt_->interrupt_callback.callback = &FfmpegSource::interrupt;
    fmt_->interrupt_callback.opaque = this;
    // A camera read then answers EAGAIN instead of blocking in the driver, where no deadline could reach it.
    if (kind_ == SourceKind::kCamera) fmt_->flags |= AVFMT_FLAG_NONBLOCK;

    arm(options_.io_timeout_s);
    int err = avformat_open_input(&fmt_, url.c_str(), input_format, &opts);  // frees fmt_ on failure
    av_dict_free(&opts);
    if (err < 0) return io_error("cannot open ", what, ": ", why(err));
    // Probing reads a few seconds of media; a slow start of a live stream gets that long on top of the timeout.
    arm(live_ ? options_.io_timeout_s + 10 : 0);
    err = avformat_find_stream_info(fmt_, nullptr);
    if (err < 0) return io_error("cannot read ", what, ": ", why(err));
    arm(0);

    const AVCodec* codec = nullptr;
    int index = av_find_best_stream(fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index == AVERROR_STREAM_NOT_FOUND) return invalid_argument(what, " has no video stream");
    if (index < 0 || !codec) {
      const char* name = index >= 0 ? avcodec_get_name(fmt_->streams[index]->codecpar->codec_id) : "?";
      return unsupported(what, ": no decoder for its video codec (", name, ") in this FFmpeg");
    }
    stream_ = fmt_->streams[index];
    stream_index_ = index;
    dec_ = avcodec_alloc_context3(codec);
    if (!dec_) return internal_error("out of memory opening ", what);
    err = avcodec_parameters_to_context(dec_, stream_->codecpar);
    if (err < 0) return io_error(what, ": ", av_error(err));
    dec_->thread_count = 0;  // FFmpeg's choice (one per core)
    // No frame threading: it delays every frame by one per thread (a live source wants each frame as it arrives),
    // and it reports a damaged frame frames later and loses a good one with it. Decoding is a small part of the
    // time next to detection.
    dec_->thread_type = FF_THREAD_SLICE;
    if (live_) dec_->flags |= AV_CODEC_FLAG_LOW_DELAY;
    err = avcodec_open2(dec_, codec, nullptr);
    if (err < 0) return io_error(what, ": cannot open the ", codec->name, " decoder: ", av_error(err));
    pkt_ = av_packet_alloc();
    frame_ = av_frame_alloc();
    rgb_ = av_frame_alloc();
    if (!pkt_ || !frame_ || !rgb_) return internal_error("out of memory opening ", what);

    AVRational rate = av_guess_frame_rate(fmt_, stream_, nullptr);
    fps_ = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    describe_ = what + " (" + codec->name + " " + std::to_string(dec_->width) + "x" + std::to_string(dec_->height);
    if (fps_ > 0) describe_ += ", " + format_seconds(std::round(fps_ * 100) / 100) + " fps";
    if (!live_ && stream_->nb_frames > 0) describe_ += ", " + std::to_string(stream_->nb_frames) + " frames";
    if (!live_ && fmt_->duration != AV_NOPTS_VALUE && fmt_->duration > 0)
      describe_ += ", " + format_seconds(std::round(fmt_->duration / 1e4) / 100) + " s";
    describe_ += ")";
    return Status::ok_status();
  }

  ReadResult read(bool convert) override {
    ReadResult r;
    if (ended_) {
      r.status = ReadStatus::kEnd;
      return r;
    }
    while (true) {
      if (stopping()) return end("");
      int err = avcodec_receive_frame(dec_, frame_);
      if (err == 0) return deliver(convert);
      if (err == AVERROR_EOF) return end(end_message());
      if (err != AVERROR(EAGAIN)) {
        r.status = ReadStatus::kCorrupt;
        r.message =
            describe_short() + ": decoding error after " + std::to_string(decoded_) + " good frames: " + av_error(err);
        return r;
      }
      if (flushing_) return end(end_message());  // the decoder wants input, but there is none left

      arm(live_ ? options_.io_timeout_s : 0);
      err = av_read_frame(fmt_, pkt_);
      if (err == AVERROR(EAGAIN)) {  // non-blocking camera: no frame ready yet
        if (deadline_passed()) {
          arm(0);
          return broken("no frame for " + format_seconds(options_.io_timeout_s) + " s (--io-timeout)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        continue;
      }
      bool timed_out = err < 0 && deadline_passed();
      arm(0);
      if (err < 0) {
        if (stopping()) return end("");
        if (live_) {
          if (timed_out) return broken("no data for " + format_seconds(options_.io_timeout_s) + " s (--io-timeout)");
          return broken(err == AVERROR_EOF ? std::string("the stream ended") : av_error(err));
        }
        if (err != AVERROR_EOF) read_error_ = av_error(err);
        // Drain the frames still inside the decoder, then end.
        avcodec_send_packet(dec_, nullptr);
        flushing_ = true;
        continue;
      }
      if (pkt_->stream_index != stream_index_) {
        av_packet_unref(pkt_);
        continue;
      }
      err = avcodec_send_packet(dec_, pkt_);
      double at = packet_time();
      av_packet_unref(pkt_);
      if (err < 0 && err != AVERROR(EAGAIN)) {
        r.status = ReadStatus::kCorrupt;
        r.message = describe_short() + ": cannot decode the frame " +
                    (at >= 0 ? "at " + format_seconds(std::round(at * 1000) / 1000) + " s"
                             : "after " + std::to_string(decoded_) + " good ones") +
                    ": " + av_error(err);
        return r;
      }
    }
  }

  std::string describe() const override { return describe_; }

 private:
  static int interrupt(void* opaque) {
    auto* self = static_cast<FfmpegSource*>(opaque);
    return self->stopping() || self->deadline_passed() ? 1 : 0;
  }
  bool stopping() const { return options_.stop && options_.stop->load(); }
  // Sets the deadline of the blocking calls that follow; 0 = none.
  void arm(double seconds) {
    deadline_us_ = seconds > 0 ? av_gettime_relative() + static_cast<int64_t>(seconds * 1e6) : 0;
  }
  bool deadline_passed() const { return deadline_us_ > 0 && av_gettime_relative() > deadline_us_; }
  std::string why(int err) const {
    if (stopping()) return "interrupted";
    if (deadline_passed()) return "no answer within " + format_seconds(options_.io_timeout_s) + " s (--io-timeout)";
    return av_error(err);
  }
  std::string describe_short() const { return std::string(source_kind_name(kind_)) + " '" + source_ + "'"; }

  double packet_time() const {
    if (pkt_->pts == AV_NOPTS_VALUE) return -1;
    int64_t start = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
    return static_cast<double>(pkt_->pts - start) * av_q2d(stream_->time_base);
  }

  ReadResult deliver(bool convert) {
    ReadResult r;
    bool damaged = (frame_->flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame_->decode_error_flags != 0;
    double t = 0;
    if (live_) {
      t = std::chrono::duration<double>(std::chrono::steady_clock::now() - options_.epoch).count();
    } else if (frame_->best_effort_timestamp != AV_NOPTS_VALUE) {
      int64_t start = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
      t = static_cast<double>(frame_->best_effort_timestamp - start) * av_q2d(stream_->time_base);
    } else {
      t = fps_ > 0 ? static_cast<double>(decoded_) / fps_ : static_cast<double>(decoded_);
    }
    ++decoded_;
    last_time_ = t;
    if (damaged) {
      av_frame_unref(frame_);
      r.status = ReadStatus::kCorrupt;
      r.message = describe_short() + ": frame at " + format_seconds(std::round(t * 1000) / 1000) +
                  " s is damaged (decoder errors)";
      return r;
    }
    r.frame.time_s = t;
    if (convert) {
      Status st = to_rgb(&r.frame.image);
      if (!st.ok()) {
        av_frame_unref(frame_);
        r.status = ReadStatus::kCorrupt;
        r.message = describe_short() + ": " + st.message();
        return r;
      }
    }
    av_frame_unref(frame_);
    r.status = ReadStatus::kFrame;
    return r;
  }

  Status to_rgb(vision::Image* out) {
    int w = frame_->width, h = frame_->height;
    if (w <= 0 || h <= 0 || frame_->format < 0) return invalid_argument("decoded a frame without pixels");
    sws_ = sws_getCachedContext(sws_, w, h, static_cast<AVPixelFormat>(frame_->format), w, h, AV_PIX_FMT_RGB24,
                                SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws_)
      return unsupported("cannot convert ", av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame_->format)),
                         " frames to RGB");
    if (rgb_->width != w || rgb_->height != h) {
      av_frame_unref(rgb_);
      rgb_->format = AV_PIX_FMT_RGB24;
      rgb_->width = w;
      rgb_->height = h;
      // An aligned, padded buffer: swscale's SIMD paths may write past the end of an unpadded row.
      int err = av_frame_get_buffer(rgb_, 32);
      if (err < 0) return internal_error("cannot allocate a ", w, "x", h, " RGB frame: ", av_error(err));
    }
    sws_scale(sws_, frame_->data, frame_->linesize, 0, h, rgb_->data, rgb_->linesize);
    out->width = w;
    out->height = h;
    out->channels = 3;
    out->pixels.resize(static_cast<size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y)
      std::memcpy(out->row(y), rgb_->data[0] + static_cast<ptrdiff_t>(y) * rgb_->linesize[0],
                  static_cast<size_t>(w) * 3);
    return Status::ok_status();
  }

  // Why a file ended early, or "" for a normal end.
  std::string end_message() const {
    if (live_) return "";
    std::string name = describe_short();
    if (!read_error_.empty())
      return name + ": read error after " + std::to_string(decoded_) + " frames: " + read_error_ +
             " (the file looks truncated or damaged)";
    if (stream_->nb_frames > 0 && decoded_ < stream_->nb_frames)
      return name + " ended after " + std::to_string(decoded_) + " of " + std::to_string(stream_->nb_frames) +
             " frames: the file looks truncated";
    if (fmt_->duration != AV_NOPTS_VALUE && fmt_->duration > 0) {
      double duration = static_cast<double>(fmt_->duration) / AV_TIME_BASE;
      double frame_s = fps_ > 0 ? 1 / fps_ : 0.04;
      // Slack for containers whose duration includes the last frame's length or an audio tail.
      double slack = std::max(0.5, 3 * frame_s);
      if (decoded_ == 0 || last_time_ + frame_s < duration - slack)
        return name + " ended at " + format_seconds(std::round((decoded_ ? last_time_ : 0) * 100) / 100) + " s of " +
               format_seconds(std::round(duration * 100) / 100) + " s: the file looks truncated";
    }
    if (decoded_ == 0) return name + " has no decodable frames";
    return "";
  }

  ReadResult end(std::string message) {
    ended_ = true;
    ReadResult r;
    r.status = ReadStatus::kEnd;
    r.message = std::move(message);
    return r;
  }
  ReadResult broken(std::string message) {
    ended_ = true;
    ReadResult r;
    r.status = ReadStatus::kBroken;
    r.message = describe_short() + ": " + message;
    return r;
  }

  static std::string list_cameras() {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::directory_iterator it("/dev", ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.rfind("video", 0) == 0) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) return " (no /dev/video* devices exist: is a camera connected?)";
    std::string s = " (devices here: ";
    for (size_t i = 0; i < found.size() && i < 8; ++i) s += (i ? ", " : "") + found[i];
    return s + ")";
  }

  std::string source_;
  SourceKind kind_;
  SourceOptions options_;
  bool live_;
  AVFormatContext* fmt_ = nullptr;
  AVStream* stream_ = nullptr;
  int stream_index_ = -1;
  AVCodecContext* dec_ = nullptr;
  AVPacket* pkt_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVFrame* rgb_ = nullptr;
  SwsContext* sws_ = nullptr;
  std::atomic<int64_t> deadline_us_{0};
  double fps_ = 0;
  int64_t decoded_ = 0;
  double last_time_ = 0;
  bool flushing_ = false, ended_ = false;
  std::string read_error_;
  std::string describe_;
};

}  // namespace

Expected<std::unique_ptr<FrameSource>> open_source_impl(const std::string& source, SourceKind kind,
                                                        const SourceOptions& options) {
  static std::once_flag once;
  std::call_once(once, [&] { av_log_set_level(options.ffmpeg_log ? AV_LOG_WARNING : AV_LOG_QUIET); });
  auto src = std::make_unique<FfmpegSource>(source, kind, options);
  ER_RETURN_IF_ERROR(src->open());
  return std::unique_ptr<FrameSource>(std::move(src));
}

}  // namespace edgerun::watch

// The module's one entry point; the loader checks the layout of the structs both sides share.
extern "C" __attribute__((visibility("default"))) edgerun::watch::FfmpegOpenFn edgerun_ffmpeg_module_v1(
    size_t options_size, size_t frame_size, size_t result_size) {
  using namespace edgerun::watch;
  if (options_size != sizeof(SourceOptions) || frame_size != sizeof(Frame) || result_size != sizeof(ReadResult))
    return nullptr;
  return &open_source_impl;
}
