// Image and label arguments shared by classify/detect/ocr/watch: a folder argument stands for the images inside
// it; labels files; decoding an image argument with the error message every command prints.
#pragma once

#include <string>
#include <vector>

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

}  // namespace edgerun::cli
