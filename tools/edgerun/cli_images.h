// Image and label arguments shared by classify/detect/ocr/watch: a folder argument stands for the images inside
// it; labels files; decoding an image argument with the error message every command prints; the per-image loop of
// classify/detect/ocr.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_args.h"
#include "edgerun/status.h"
#include "edgerun/vision.h"

namespace edgerun::cli {

// True for .jpg/.jpeg/.png/.bmp (case-insensitive).
bool has_image_extension(const std::string& path);

// Each argument as given, except a directory, which becomes its image files (by extension, not recursive) in
// byte-wise name order. A directory without images is an error naming it; a path that does not exist is kept
// (the decoder reports it with the other per-image errors).
Expected<std::vector<std::string>> expand_image_args(const std::vector<std::string>& args);

// Class names, one per line (line i = class i; CRLF accepted, trailing empty lines dropped). Errors: unreadable or
// empty file.
Expected<std::vector<std::string>> read_labels_file(const std::string& path);

// Decodes an image argument; the error message is the one line the commands print:
// "cannot read image 'P': ..." (missing/unreadable) or "cannot decode image 'P': ..." (corrupt, unsupported).
Expected<vision::Image> decode_image_arg(const std::string& path);

// --size of detect and watch (detector input for models with dynamic spatial dims): "N" or "WxH", sides 32..8192
// and multiples of 32. The error message names --size.
Expected<std::pair<int, int>> parse_detector_size(const std::string& text);

// One JSON value as one line on stdout (invalid UTF-8 replaced), flushed.
void print_json_line(const nlohmann::ordered_json& j);

// What the step of for_each_image made of one image.
struct ImageOutcome {
  enum class Kind { kDone, kFailed, kStop };
  Kind kind = Kind::kDone;
  std::string message;      // kFailed
  bool json_line = true;    // kFailed: also the JSON error line in --json mode
  int exit_code = kExitOk;  // kStop

  static ImageOutcome done() { return {}; }
  // The image failed and is skipped: "edgerun: error: MESSAGE" on stderr and, in --json mode, the line
  // {"image": PATH, "error": MESSAGE} on stdout.
  static ImageOutcome failed(std::string message) { return {Kind::kFailed, std::move(message), true, kExitOk}; }
  // The same, but only the stderr line.
  static ImageOutcome failed_no_json(std::string message) {
    return {Kind::kFailed, std::move(message), false, kExitOk};
  }
  // Ends the whole run at once with this exit code (an error, reported by the step, that the next image would hit
  // as well: the model cannot run).
  static ImageOutcome stop(int exit_code) { return {Kind::kStop, "", true, exit_code}; }
};

using ImageStep = std::function<ImageOutcome(const std::string& path, vision::Image& image)>;

struct ImageLoop {
  int failures = 0;            // images reported as failed
  std::optional<int> stopped;  // the exit code of a step that ended the run
};

// The per-image loop of classify, detect and ocr: decodes each image (one that cannot be read or decoded fails with
// decode_image_arg's message) and runs `step` on it. A failed image is reported and skipped; the others are still
// processed.
ImageLoop for_each_image(const std::vector<std::string>& paths, bool json, const ImageStep& step);

// The exit code after the loop: kExitOk without failures; else kExitError, after "edgerun: error: F of N images WHAT"
// when there were several images.
int images_exit_code(int failures, size_t images, const std::string& what);

}  // namespace edgerun::cli
