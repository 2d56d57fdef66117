// A folder of images as a frame source: the images in byte-wise name order, then (--follow) the ones that appear.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "watch/frame_source.h"
#include "watch/report.h"

namespace edgerun::watch {

namespace fs = std::filesystem;

bool is_image_file_name(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "bmp";
}

namespace {

class FolderSource : public FrameSource {
 public:
  FolderSource(std::string dir, const SourceOptions& options) : dir_(std::move(dir)), options_(options) {}

  // The images present now; a missing folder or one without images (unless followed) is an error.
  Status scan_initial() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) return not_found("folder '", dir_, "' does not exist or is not a directory");
    std::vector<std::string> names;
    ER_RETURN_IF_ERROR(list(&names));
    for (const std::string& n : names) seen_.insert(n);
    pending_ = std::move(names);
    if (pending_.empty() && !options_.follow)
      return not_found("folder '", dir_, "' has no JPEG, PNG or BMP images (use --follow to wait for some)");
    return Status::ok_status();
  }

  ReadResult read(bool convert) override {
    ReadResult r;
    while (next_ >= pending_.size()) {
      if (!options_.follow) {
        r.status = ReadStatus::kEnd;
        return r;
      }
      if (!poll()) {
        sleep_poll_interval();
        r.status = ReadStatus::kIdle;
        return r;
      }
    }
    std::string path = (fs::path(dir_) / pending_[next_++]).string();
    r.frame.name = path;
    r.frame.time_s = options_.follow
                         ? std::chrono::duration<double>(std::chrono::steady_clock::now() - options_.epoch).count()
                         : static_cast<double>(count_) / options_.folder_fps;
    ++count_;
    if (convert) {
      auto img = vision::decode_image_file(path);
      if (!img.ok()) {
        r.status = ReadStatus::kCorrupt;
        r.message = "cannot decode image '" + path + "': " + img.status().message();
        return r;
      }
      r.frame.image = std::move(*img);
    }
    r.status = ReadStatus::kFrame;
    return r;
  }

  std::string describe() const override {
    return "folder '" + dir_ + "' (" + std::to_string(pending_.size()) + " images" +
           (options_.follow ? ", following" : "") + ")";
  }

 private:
  Status list(std::vector<std::string>* names) {
    std::error_code ec;
    fs::directory_iterator it(dir_, ec), end;
    if (ec) return io_error("cannot list folder '", dir_, "': ", ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return io_error("cannot list folder '", dir_, "': ", ec.message());
      std::string name = it->path().filename().string();
      // Dot files are the usual temporary names of uploads in progress.
      if (name.empty() || name[0] == '.' || !is_image_file_name(name)) continue;
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      names->push_back(name);
    }
    std::sort(names->begin(), names->end());
    return Status::ok_status();
  }

  // Queues the new images whose size has not changed since the previous poll (a file still being written grows);
  // true if any were queued.
  bool poll() {
    std::vector<std::string> names;
    Status st = list(&names);
    if (!st.ok()) {
      if (!list_failing_) report_warning(st.message() + " (still polling)");
      list_failing_ = true;
      return false;
    }
    list_failing_ = false;
    std::vector<std::string> ready;
    std::map<std::string, uintmax_t> sizes;
    for (const std::string& n : names) {
      if (seen_.count(n)) continue;
      std::error_code ec;
      uintmax_t size = fs::file_size(fs::path(dir_) / n, ec);
      if (ec) continue;
      auto prev = candidate_sizes_.find(n);
      if (prev != candidate_sizes_.end() && prev->second == size && size > 0)
        ready.push_back(n);
      else
        sizes[n] = size;
    }
    candidate_sizes_ = std::move(sizes);
    if (ready.empty()) return false;
    for (const std::string& n : ready) seen_.insert(n);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(next_));
    next_ = 0;
    pending_.insert(pending_.end(), ready.begin(), ready.end());
    return true;
  }

  void sleep_poll_interval() {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(options_.poll_s);
    while (std::chrono::steady_clock::now() < until) {
      if (options_.stop && options_.stop->load()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string dir_;
  SourceOptions options_;
  std::vector<std::string> pending_;  // names, sorted; next_ is the next to deliver
  size_t next_ = 0;
  std::set<std::string> seen_;                        // every name queued so far
  std::map<std::string, uintmax_t> candidate_sizes_;  // new names waiting for a stable size
  int64_t count_ = 0;
  bool list_failing_ = false;
};

}  // namespace

Expected<std::unique_ptr<FrameSource>> open_folder_source(const std::string& dir, const SourceOptions& options) {
  if (!options.follow && !(options.folder_fps > 0)) return invalid_argument("the folder frame rate must be > 0");
  auto src = std::make_unique<FolderSource>(dir, options);
  ER_RETURN_IF_ERROR(src->scan_initial());
  return std::unique_ptr<FrameSource>(std::move(src));
}

}  // namespace edgerun::watch
