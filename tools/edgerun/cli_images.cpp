#include "cli_images.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace edgerun::cli {

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

Expected<std::vector<std::string>> expand_image_args(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      out.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    fs::directory_iterator it(arg, ec), end;
    if (ec) return io_error("cannot list folder '", arg, "': ", ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return io_error("cannot list folder '", arg, "': ", ec.message());
      std::error_code fec;
      if (it->is_regular_file(fec) && has_image_extension(it->path().string())) found.push_back(it->path().string());
    }
    if (found.empty()) return not_found("folder '", arg, "' holds no .jpg/.jpeg/.png/.bmp images");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace edgerun::cli
