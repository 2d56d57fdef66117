#include "core/mmap_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgerun {

Expected<std::shared_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open '", path, "': ", std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot stat '", path, "': ", std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return io_error("'", path, "' is a directory, not a file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->size_ = static_cast<size_t>(st.st_size);
  if (f->size_ == 0) {
    ::close(fd);
    static const uint8_t kEmpty[1] = {0};
    f->data_ = kEmpty;
    return f;
  }
  void* p = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) return io_error("cannot mmap '", path, "': ", std::strerror(err));
  f->data_ = static_cast<const uint8_t*>(p);
  f->mapped_ = true;
  return f;
}

std::shared_ptr<MappedFile> MappedFile::from_bytes(const void* data, size_t size, std::string name) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->owned_.reset(new uint8_t[size + 1]);
  if (size) std::memcpy(f->owned_.get(), data, size);
  f->data_ = f->owned_.get();
  f->size_ = size;
  f->path_ = std::move(name);
  return f;
}

MappedFile::~MappedFile() {
  if (mapped_) munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::release_pages(size_t offset, size_t len) const {
  if (!mapped_ || len == 0) return;
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t begin = reinterpret_cast<uintptr_t>(data_) + offset;
  uintptr_t end = begin + len;
  uintptr_t abegin = (begin + static_cast<uintptr_t>(page) - 1) & ~(static_cast<uintptr_t>(page) - 1);
  uintptr_t aend = end & ~(static_cast<uintptr_t>(page) - 1);
  if (aend > abegin) madvise(reinterpret_cast<void*>(abegin), aend - abegin, MADV_DONTNEED);
}

}  // namespace edgerun
