// Read-only memory map of a whole file. Model weights are viewed in place from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "edgerun/status.h"

namespace edgerun {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to size 0 with a non-null data() pointer.
  static Expected<std::shared_ptr<MappedFile>> open(const std::string& path);
  // Wraps bytes already in memory (a copy is kept); for tests and fuzzing.
  static std::shared_ptr<MappedFile> from_bytes(const void* data, size_t size, std::string name = "<memory>");
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Tell the kernel the pages in [offset, offset+len) are no longer needed (after repacking weights).
  void release_pages(size_t offset, size_t len) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string path_;
  std::unique_ptr<uint8_t[]> owned_;
};

}  // namespace edgerun
