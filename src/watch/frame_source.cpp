// Source classification and opening; cameras, streams, stdin and video files go to the FFmpeg module, which is
// loaded here with dlopen on first use (see src/watch/ffmpeg_module/source_ffmpeg.cpp for why it is a module).
#include "watch/frame_source.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace edgerun::watch {

namespace fs = std::filesystem;

SourceKind classify_source(const std::string& source) {
  if (source == "-") return SourceKind::kPipe;
  if (source.rfind("/dev/video", 0) == 0 || source.rfind("/dev/v4l/", 0) == 0) return SourceKind::kCamera;
  size_t scheme = source.find("://");
  if (scheme != std::string::npos && scheme > 0 && source.rfind("file://", 0) != 0) return SourceKind::kStream;
  std::error_code ec;
  if (fs::is_directory(source, ec)) return SourceKind::kFolder;
  return SourceKind::kVideo;
}

Expected<std::unique_ptr<FrameSource>> open_source(const std::string& source, const SourceOptions& options) {
  SourceKind kind = classify_source(source);
  if (kind == SourceKind::kFolder) return open_folder_source(source, options);
  return open_ffmpeg_source(source, kind, options);
}

#ifdef EDGERUN_HAVE_FFMPEG

bool ffmpeg_available() { return true; }

namespace {

constexpr const char* kModuleName = "libedgerun_ffmpeg.so";

std::vector<fs::path> module_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("EDGERUN_MODULE_DIR"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) {
    dirs.push_back(exe.parent_path());
    dirs.push_back(exe.parent_path().parent_path() / "lib" / "edgerun");
  }
#ifdef EDGERUN_MODULE_BUILD_DIR
  dirs.emplace_back(EDGERUN_MODULE_BUILD_DIR);  // tests run from build/<preset>/tests
#endif
  std::vector<fs::path> unique;
  for (const fs::path& d : dirs)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  return unique;
}

struct Module {
  FfmpegOpenFn open = nullptr;
  std::string error;
};

// Loaded once and never unloaded: sources made by the module must outlive any caller.
const Module& module() {
  static const Module m = [] {
    Module r;
    std::string tried;
    for (const fs::path& dir : module_dirs()) {
      const fs::path path = dir / kModuleName;
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        tried += (tried.empty() ? "" : ", ") + dir.string();
        continue;
      }
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        const char* why = dlerror();
        r.error = "cannot load " + path.string() + ": " + (why ? why : "unknown error");
        return r;
      }
      using Entry = FfmpegOpenFn (*)(size_t, size_t, size_t);
      auto entry = reinterpret_cast<Entry>(dlsym(h, "edgerun_ffmpeg_module_v1"));
      if (!entry) {
        r.error = path.string() + " is not an edgerun FFmpeg module (no edgerun_ffmpeg_module_v1)";
        return r;
      }
      r.open = entry(sizeof(SourceOptions), sizeof(Frame), sizeof(ReadResult));
      if (!r.open) r.error = path.string() + " was built from another edgerun version (rebuild or reinstall it)";
      return r;
    }
    r.error = std::string("the FFmpeg module ") + kModuleName + " was not found (looked in " + tried +
              "; set EDGERUN_MODULE_DIR to its folder)";
    return r;
  }();
  return m;
}

}  // namespace

Expected<std::unique_ptr<FrameSource>> open_ffmpeg_source(const std::string& source, SourceKind kind,
                                                          const SourceOptions& options) {
  const Module& m = module();
  if (!m.open) return unsupported("cannot open ", source_kind_name(kind), " '", source, "': ", m.error);
  return m.open(source, kind, options);
}

#else  // !EDGERUN_HAVE_FFMPEG

bool ffmpeg_available() { return false; }

Expected<std::unique_ptr<FrameSource>> open_ffmpeg_source(const std::string& source, SourceKind kind,
                                                          const SourceOptions&) {
  return unsupported("cannot open ", source_kind_name(kind), " '", source,
                     "': edgerun was built without FFmpeg (libavformat): video files, cameras and streams are "
                     "unavailable (folders of images still work)");
}

#endif

}  // namespace edgerun::watch
