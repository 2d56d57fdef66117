#include "core/large_alloc.h"

#include <sys/mman.h>

#include <cstdint>

namespace edgerun {
namespace {

constexpr size_t kPage = 4096;

size_t round_up(size_t x, size_t r) { return (x + r - 1) / r * r; }

}  // namespace

void* map_zeroed(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t len = round_up(bytes, kPage);
  if (len < kHugePageBytes) {
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? nullptr : m;
  }
  // Over-map by one huge page, keep the 2 MiB-aligned part, give the rest back.
  const size_t span = len + kHugePageBytes;
  void* m = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  const uintptr_t base = reinterpret_cast<uintptr_t>(m);
  const uintptr_t aligned = round_up(base, kHugePageBytes);
  if (aligned > base) munmap(m, aligned - base);
  const uintptr_t end = aligned + len, span_end = base + span;
  if (span_end > end) munmap(reinterpret_cast<void*>(end), span_end - end);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  return reinterpret_cast<void*>(aligned);
}

void unmap_zeroed(void* p, size_t bytes) {
  if (p) munmap(p, round_up(bytes == 0 ? 1 : bytes, kPage));
}

}  // namespace edgerun
