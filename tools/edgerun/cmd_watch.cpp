// edgerun watch SOURCE --model M --rule ...: the offline security camera. Frames from a camera, video file, stream,
// stdin or folder go through a detector; rules decide when detections become an alert; each alert is a JSON line on
// stdout plus optional snapshot, log file, webhook, command and GPIO pulse. Runs until the source ends or
// SIGINT/SIGTERM, then prints a summary. The pieces live in src/watch/; this file only wires options to them.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli_args.h"
#include "cli_images.h"
#include "cli_session.h"
#include "commands.h"
#include "edgerun/detect.h"
#include "watch/actions.h"
#include "watch/frame_pump.h"
#include "watch/frame_source.h"
#include "watch/rules.h"
#include "watch/watcher.h"

namespace edgerun::cli {
namespace {

namespace fs = std::filesystem;

const CommandSpec kSpec = {
    "watch",
    "SOURCE --model MODEL --rule RULE... [options]",
    "Watch a camera, video file, stream or folder with a detection model (YOLOv8/YOLO11, YOLOX) and fire alerts\n"
    "when rules match. SOURCE is /dev/videoN (V4L2 camera), a video file, an rtsp:// http(s):// rtmp:// udp:// tcp://\n"
    "stream URL, '-' (a stream on stdin, e.g. from rpicam-vid), or a folder of JPEG/PNG/BMP images (name order).",
    {
        {"--model", "FILE", "detection model (.onnx), required"},
        {"--rule", "RULE", "an alert rule (syntax below); at least one", true},
        {"--every", "N", "process every Nth frame: frames 0, N, 2N, ... (default 1)"},
        {"--max-frames", "N", "stop after reading N frames (default: no limit)"},
        {"--stats-interval", "S", "live stats on stderr every S seconds (default 5; 0 = off)"},
        {"--json-summary", "", "also print the summary as one JSON line on stdout at the end"},
        {"--snapshots", "DIR", "folder for alert snapshots DIR/<rule>-<frame>.jpg (default ./snapshots; created)"},
        {"--no-snapshots", "", "write no snapshots (\"snapshot\": null in events)"},
        {"--log", "FILE", "append each event as a JSON line to FILE (flushed per event)"},
        {"--webhook", "URL",
         "POST each event (JSON body) to URL from a worker thread; 2 s connect/read timeouts, failures reported on "
         "stderr",
         true},
        {"--exec", "CMD", "run CMD through /bin/sh per event, event JSON in $EDGERUN_EVENT; not waited for"},
        {"--gpio", "CHIP:LINE[:MS]", "drive a GPIO line high for MS ms (default 1000) per event, e.g. gpiochip0:17",
         true},
        {"--conf", "F", "detector minimum score (default 0.25, or lower if a rule asks for less)"},
        {"--iou", "F", "NMS IoU threshold (default 0.45)"},
        {"--size", "N|WxH", "input size for models with dynamic spatial dims (default: metadata imgsz, else 640)"},
        {"--labels", "FILE", "class names, one per line (line i = class i); overrides the model's names"},
        threads_option(),
        {"--follow", "", "folder: keep polling for new images after the last one"},
        {"--poll", "S", "folder --follow poll interval in seconds (default 0.5)"},
        {"--fps", "F", "folder without --follow: frame rate for media time and cooldowns (default 1)"},
        {"--reconnect", "N", "camera/stream: reconnect attempts in a row before giving up (default 10; 0 = none)"},
        {"--io-timeout", "S", "camera/stream: no data for S seconds = dead (default 5)"},
        {"--rtsp-transport", "tcp|udp", "RTSP transport (default tcp)"},
        {"--camera-size", "WxH", "camera: capture size (default: the driver's)"},
        {"--camera-fps", "F", "camera: frame rate (default: the driver's)"},
        {"--camera-format", "NAME", "camera: pixel format, e.g. mjpeg or yuyv422 (default: the driver's)"},
        {"--verbose", "", "show FFmpeg's own warnings"},
    },
    "rules: semicolon-separated key=value pairs (quote them for the shell), e.g.\n"
    "  --rule 'name=gate;classes=person;conf=0.7;frames=2;zone=0.1,0.5 0.9,0.5 0.9,1 0.1,1;cooldown=10'\n"
    "  name      letters, digits, _ - . (default rule1, rule2, ...); names the snapshots\n"
    "  classes   class names or ids, comma-separated (default: any class)\n"
    "  conf      minimum score 0..1, inclusive (default 0.5)\n"
    "  frames    consecutive processed frames with a match before the rule fires (default 1)\n"
    "  zone      polygon of >= 3 points 'x,y x,y x,y ...' in fractions 0..1 of the frame width/height; a detection\n"
    "            is in the zone when the bottom-centre of its box is inside (or on the edge); default: whole frame\n"
    "  zone_px   the same polygon in pixels\n"
    "  cooldown  seconds a rule stays quiet after firing (default 10): media time (PTS) for video files and\n"
    "            folders, wall time for cameras, streams and followed folders\n"
    "  While matches continue the rule fires again after each cooldown; a processed frame without a match resets\n"
    "  the frame count.\n"
    "\n"
    "event, one JSON line per alert on stdout (stable; also the --log line and the webhook body):\n"
    "  {\"time\": \"2024-05-01T12:34:56.789Z\", \"frame\": INT, \"rule\": STR, \"detections\": [{\"class_id\": INT,\n"
    "   \"label\": STR, \"score\": F, \"box\": [x1, y1, x2, y2]}], \"snapshot\": PATH or null}\n"
    "  time = UTC wall clock of the alert; frame counted from 0; detections = those that matched the rule, boxes in\n"
    "  frame pixels.\n"
    "\n"
    "stderr: notes, warnings (corrupt frames, webhook failures), live stats, and the summary at the end: frames\n"
    "read/processed/dropped/failed, alerts per rule, detect latency p50/p95, processed FPS.\n"
    "\n"
    "exit code: 0 when the source ended (also a truncated file) or on SIGINT/SIGTERM; 1 when the source, model or an\n"
    "action cannot be set up, or a stream was lost for good; 2 bad options or rules.\n"
    "\n"
    "examples:\n"
    "  edgerun watch /dev/video0 --model yolov8n-int8.onnx --every 2 --rule 'classes=person;conf=0.7'\n"
    "  edgerun watch rtsp://cam.local/stream1 --model yolov8n.onnx --log alerts.jsonl \\\n"
    "      --rule 'name=gate;classes=person,car;zone=0,0.6 1,0.6 1,1 0,1;cooldown=30' \\\n"
    "      --webhook http://nas.local:8123/api/webhook/gate\n"
    "  edgerun watch clip.mp4 --model yolov8n.onnx --rule 'classes=dog;frames=3' --json-summary\n"
    "  edgerun watch /srv/ftp/cam1 --follow --model yolov8n.onnx --rule 'classes=person' \\\n"
    "      --exec 'notify-send \"edgerun: $EDGERUN_RULE\"'\n"
    "  rpicam-vid -t 0 -n --codec mjpeg -o - | edgerun watch - --model yolov8n-int8.onnx --rule 'classes=person'\n",
};

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// SIGINT/SIGTERM set the flag; SA_RESETHAND makes a second signal end the process the default way, for the case
// where something does not stop.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A number option within [min, max] (or (min, max] when min_exclusive).
Expected<double> parse_range(const Args& args, const std::string& option, const std::string& def, double min,
                             double max, bool min_exclusive = false) {
  ER_ASSIGN_OR_RETURN(double v, parse_double(option, args.get(option, def)));
  if (v < min || v > max || (min_exclusive && v == min))
    return invalid_argument(option, " must be ", min_exclusive ? "> " : ">= ", format_value(min),
                            " and <= ", format_value(max), ", got ", args.get(option, def));
  return v;
}

}  // namespace

int cmd_watch(int argc, char** argv, int first) {
  auto parsed = parse_args(kSpec, argc, argv, first);
  if (!parsed.ok()) return report_usage_error(kSpec, parsed.status().message());
  const Args& args = *parsed;
  if (args.help) {
    std::fputs(format_help(kSpec).c_str(), stdout);
    return kExitOk;
  }
  if (args.positional.empty()) return report_usage_error(kSpec, "missing SOURCE");
  if (args.positional.size() > 1)
    return report_usage_error(kSpec,
                              "one SOURCE only, got '" + args.positional[0] + "' and '" + args.positional[1] + "'");
  const std::string source = args.positional[0];
  if (!args.has("--model")) return report_usage_error(kSpec, "missing --model FILE");
  if (!args.has("--rule")) return report_usage_error(kSpec, "missing --rule (e.g. --rule 'classes=person;conf=0.7')");

  // ---- options and rules: every mistake here is a usage error (exit 2) -------------------------------------------
  auto rules_or = watch::parse_rules(args.all("--rule"));
  if (!rules_or.ok()) return report_usage_error(kSpec, rules_or.status().message());
  std::vector<watch::Rule> rules = std::move(*rules_or);

  auto every = parse_int("--every", args.get("--every", "1"), 1, 1000000);
  if (!every.ok()) return report_usage_error(kSpec, every.status().message());
  auto max_frames = parse_int("--max-frames", args.get("--max-frames", "0"), 0, INT64_MAX);
  if (!max_frames.ok()) return report_usage_error(kSpec, max_frames.status().message());
  auto stats_interval = parse_range(args, "--stats-interval", "5", 0, 86400);
  if (!stats_interval.ok()) return report_usage_error(kSpec, stats_interval.status().message());
  auto reconnect = parse_int("--reconnect", args.get("--reconnect", "10"), 0, 1000000);
  if (!reconnect.ok()) return report_usage_error(kSpec, reconnect.status().message());
  auto io_timeout = parse_range(args, "--io-timeout", "5", 0, 3600, true);
  if (!io_timeout.ok()) return report_usage_error(kSpec, io_timeout.status().message());
  auto poll = parse_range(args, "--poll", "0.5", 0.01, 3600);
  if (!poll.ok()) return report_usage_error(kSpec, poll.status().message());
  auto folder_fps = parse_range(args, "--fps", "1", 0, 1e6, true);
  if (!folder_fps.ok()) return report_usage_error(kSpec, folder_fps.status().message());
  auto session_options = session_options_from_args(args);
  if (!session_options.ok()) return report_usage_error(kSpec, session_options.status().message());
  auto iou = parse_range(args, "--iou", "0.45", 0, 1);
  if (!iou.ok()) return report_usage_error(kSpec, iou.status().message());
  // Without --conf the detector keeps what the least demanding rule needs; an explicit --conf wins (with a warning).
  double conf = 0.25;
  for (const watch::Rule& r : rules) conf = std::min(conf, r.conf);
  if (args.has("--conf")) {
    auto c = parse_range(args, "--conf", "", 0, 1);
    if (!c.ok()) return report_usage_error(kSpec, c.status().message());
    conf = *c;
  }
  std::pair<int, int> input_size{0, 0};
  if (args.has("--size")) {
    auto size = parse_detector_size(args.get("--size"));
    if (!size.ok()) return report_usage_error(kSpec, size.status().message());
    input_size = *size;
  }
  std::string transport = args.get("--rtsp-transport", "tcp");
  if (transport != "tcp" && transport != "udp")
    return report_usage_error(kSpec, "--rtsp-transport must be tcp or udp, got '" + transport + "'");
  if (args.has("--camera-size")) {
    auto s = parse_size("--camera-size", args.get("--camera-size"), 1);
    if (!s.ok()) return report_usage_error(kSpec, s.status().message());
  }
  if (args.has("--camera-fps")) {
    auto f = parse_range(args, "--camera-fps", "30", 0, 1000, true);
    if (!f.ok()) return report_usage_error(kSpec, f.status().message());
  }
  std::vector<watch::GpioSpec> gpios;
  for (const std::string& g : args.all("--gpio")) {
    auto spec = watch::parse_gpio_spec(g);
    if (!spec.ok()) return report_usage_error(kSpec, spec.status().message());
    gpios.push_back(*spec);
  }
  for (const std::string& url : args.all("--webhook")) {
    auto u = watch::parse_webhook_url(url);
    if (!u.ok()) return report_usage_error(kSpec, "--webhook: " + u.status().message());
  }
  if (args.has("--exec") && args.get("--exec").find_first_not_of(" \t") == std::string::npos)
    return report_usage_error(kSpec, "--exec needs a command");
  if (args.has("--snapshots") && args.has("--no-snapshots"))
    return report_usage_error(kSpec, "--snapshots and --no-snapshots contradict each other");
  if (args.has("--snapshots") && args.get("--snapshots").empty())
    return report_usage_error(kSpec, "--snapshots needs a folder");

  const watch::SourceKind kind = watch::classify_source(source);
  const bool is_folder = kind == watch::SourceKind::kFolder;
  const bool is_camera = kind == watch::SourceKind::kCamera;
  for (const char* opt : {"--follow", "--poll", "--fps"})
    if (args.has(opt) && !is_folder)
      return report_usage_error(kSpec, std::string(opt) + " applies to a folder SOURCE; '" + source + "' is a " +
                                           watch::source_kind_name(kind));
  if (args.has("--poll") && !args.has("--follow")) return report_usage_error(kSpec, "--poll needs --follow");
  for (const char* opt : {"--camera-size", "--camera-fps", "--camera-format"})
    if (args.has(opt) && !is_camera)
      return report_usage_error(kSpec, std::string(opt) + " applies to a camera SOURCE (/dev/videoN); '" + source +
                                           "' is a " + watch::source_kind_name(kind));

  install_signal_handlers();

  // ---- the source first: the quickest check, and the one most often wrong --------------------------------------
  watch::SourceOptions so;
  so.io_timeout_s = *io_timeout;
  so.rtsp_transport = transport;
  so.camera_size = args.get("--camera-size");
  so.camera_fps = args.get("--camera-fps");
  so.camera_format = args.get("--camera-format");
  so.follow = args.has("--follow");
  so.poll_s = *poll;
  so.folder_fps = *folder_fps;
  so.ffmpeg_log = args.has("--verbose");
  so.stop = &g_stop;
  so.epoch = std::chrono::steady_clock::now();
  auto src = watch::open_source(source, so);
  if (!src.ok() && g_stop.load()) {  // Ctrl-C while a slow camera or stream was opening: not a failure
    report_note("stopped by a signal while opening " + source);
    return kExitOk;
  }
  if (!src.ok()) return report_error(src.status().message());
  std::unique_ptr<watch::FrameSource> frame_source = std::move(*src);

  // ---- actions: anything that cannot work is an error now, not at the first alert ---------------------------------
  std::vector<std::unique_ptr<watch::Action>> actions;
  actions.push_back(watch::make_print_action(stdout));
  if (args.has("--log")) {
    auto a = watch::make_log_action(args.get("--log"));
    if (!a.ok()) return report_error(a.status().message());
    actions.push_back(std::move(*a));
  }
  for (const std::string& url : args.all("--webhook")) {
    auto a = watch::make_webhook_action(url);
    if (!a.ok()) return report_error(a.status().message());
    actions.push_back(std::move(*a));
  }
  if (args.has("--exec")) {
    auto a = watch::make_exec_action(args.get("--exec"));
    if (!a.ok()) return report_error(a.status().message());
    actions.push_back(std::move(*a));
  }
  for (const watch::GpioSpec& g : gpios) {
    auto a = watch::make_gpio_action(g);
    if (!a.ok()) return report_error(a.status().message());
    actions.push_back(std::move(*a));
  }

  // ---- the detector -----------------------------------------------------------------------------------------------
  vision::DetectOptions dopts;
  dopts.conf = static_cast<float>(conf);
  dopts.iou = static_cast<float>(*iou);
  dopts.input_width = input_size.first;
  dopts.input_height = input_size.second;
  if (args.has("--labels")) {
    auto l = read_labels_file(args.get("--labels"));
    if (!l.ok()) return report_error(l.status().message());
    dopts.labels = std::move(*l);
  }
  const std::string model_path = args.get("--model");
  auto detector_or = vision::Detector::load(model_path, dopts, *session_options);
  if (!detector_or.ok()) return report_error(str_cat(model_path, ": ", detector_or.status().message()));
  std::unique_ptr<vision::Detector> detector = std::move(*detector_or);
  for (const std::string& note : detector->notes()) report_note(note);
  for (watch::Rule& r : rules) {
    Status st = watch::resolve_rule_classes(r, detector->labels(), detector->num_classes());
    if (!st.ok()) return report_usage_error(kSpec, st.message());
    if (r.conf < conf)
      report_warning(str_cat("rule '", r.name, "' asks for conf ", format_value(r.conf), ", but --conf ",
                             format_value(conf), " drops detections below that"));
  }

  // Created last, so that a run refused for another reason leaves no empty folder behind.
  std::string snapshot_dir;
  if (!args.has("--no-snapshots")) {
    snapshot_dir = args.get("--snapshots", "snapshots");
    std::error_code ec;
    fs::create_directories(snapshot_dir, ec);
    if (ec || !fs::is_directory(snapshot_dir))
      return report_error("cannot create the snapshot folder '" + snapshot_dir +
                          "': " + (ec ? ec.message() : "a file of that name exists"));
  }

  report_note(
      str_cat("watching ", frame_source->describe(), ", processing ",
              *every == 1 ? std::string("every frame") : str_cat("frames 0, ", *every, ", ", 2 * *every, ", ...")));
  report_note(str_cat("model ", model_path, ": ", detector->describe()));
  for (const watch::Rule& r : rules) report_note(str_cat("rule '", r.name, "': ", watch::describe_rule(r)));

  // ---- run --------------------------------------------------------------------------------------------------------
  watch::PumpOptions popts;
  popts.every = *every;
  popts.max_frames = *max_frames;
  popts.reconnect = static_cast<int>(*reconnect);
  popts.stop = &g_stop;
  std::unique_ptr<watch::FramePump> pump;
  if (watch::source_is_live(kind)) {
    watch::SourceOpener reopen;
    if (kind != watch::SourceKind::kPipe) reopen = [source, so] { return watch::open_source(source, so); };
    pump = watch::make_live_pump(std::move(frame_source), std::move(reopen), popts);
  } else {
    pump = watch::make_sequential_pump(std::move(frame_source), popts);
  }

  watch::WatchConfig config;
  config.rules = rules;
  config.stats_interval_s = *stats_interval;
  config.snapshot_dir = snapshot_dir;
  config.source = str_cat(watch::source_kind_name(kind), " '", source, "'");
  vision::Detector* det = detector.get();
  watch::DetectFn detect = [det](const vision::Image& image) -> Expected<std::vector<vision::Detection>> {
    ER_ASSIGN_OR_RETURN(vision::DetectResult result, det->detect(image));
    return std::move(result.detections);
  };
  watch::Watcher watcher(config, detect, *pump, actions, &g_stop);
  watch::WatchSummary summary = watcher.run();
  if (g_stop.load() && summary.ended != "stopped") summary.ended = "stopped";
  if (summary.ended == "stopped") summary.ended = "stopped by a signal";
  // Webhooks get a short grace period to deliver what is queued; the rest is reported as not sent.
  watch::finish_actions(actions, 3.0, &summary);
  std::fputs(watch::format_summary_text(summary).c_str(), stderr);
  if (args.has("--json-summary")) {
    std::printf("%s\n", watch::format_summary_json(summary).c_str());
    std::fflush(stdout);
  }
  return summary.failure ? kExitError : kExitOk;
}

}  // namespace edgerun::cli
