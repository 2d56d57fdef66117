// Image arguments shared by classify/detect/ocr: a folder argument stands for the images inside it.
#pragma once

#include <string>
#include <vector>

#include "edgerun/status.h"

namespace edgerun::cli {

// True for .jpg/.jpeg/.png/.bmp (case-insensitive).
bool has_image_extension(const std::string& path);

// Each argument as given, except a directory, which becomes its image files (by extension, not recursive) in
// byte-wise name order. A directory without images is an error naming it; a path that does not exist is kept
// (the decoder reports it with the other per-image errors).
Expected<std::vector<std::string>> expand_image_args(const std::vector<std::string>& args);

}  // namespace edgerun::cli
