#include "cli_images.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
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

Expected<std::vector<std::string>> read_labels_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return not_found("cannot open labels file '", path, "'");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) return invalid_argument("labels file '", path, "' is empty");
  return labels;
}

Expected<vision::Image> decode_image_arg(const std::string& path) {
  auto image = vision::decode_image_file(path);
  if (image.ok()) return image;
  const Status& st = image.status();
  bool read_error = st.code() == StatusCode::kNotFound || st.code() == StatusCode::kIoError;
  return Status(st.code(),
                str_cat(read_error ? "cannot read image '" : "cannot decode image '", path, "': ", st.message()));
}

Expected<std::pair<int, int>> parse_detector_size(const std::string& text) {
  ER_ASSIGN_OR_RETURN(auto size, parse_size("--size", text, 32));
  if (size.first % 32 != 0 || size.second % 32 != 0)
    return invalid_argument("--size ", text, ": sides must be multiples of 32");
  return size;
}

void print_json_line(const nlohmann::ordered_json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

ImageLoop for_each_image(const std::vector<std::string>& paths, bool json, const ImageStep& step) {
  ImageLoop loop;
  for (const std::string& path : paths) {
    auto image = decode_image_arg(path);
    ImageOutcome outcome = image.ok() ? step(path, *image) : ImageOutcome::failed(image.status().message());
    if (outcome.kind == ImageOutcome::Kind::kStop) {
      loop.stopped = outcome.exit_code;
      break;
    }
    if (outcome.kind == ImageOutcome::Kind::kFailed) {
      report_error(outcome.message);
      if (json && outcome.json_line) print_json_line({{"image", path}, {"error", outcome.message}});
      ++loop.failures;
    }
  }
  return loop;
}

int images_exit_code(int failures, size_t images, const std::string& what) {
  if (!failures) return kExitOk;
  if (images > 1) report_error(str_cat(failures, " of ", images, " images ", what));
  return kExitError;
}

}  // namespace edgerun::cli
