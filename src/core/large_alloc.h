// Zeroed anonymous mappings for large buffers (packed weights, big tensors, arenas).
//
// Buffers of at least kHugePageBytes start on a 2 MiB boundary and are advised MADV_HUGEPAGE, so that with
// transparent huge pages in "madvise" mode (Debian's and Raspberry Pi OS's default) the kernel backs them with huge
// pages: loading resnet50 touches ~150 MB of fresh weight memory, one page fault per 4 KiB otherwise (each one a VM
// exit under virtualisation), and streaming the weights at run time walks 512x fewer TLB entries. Where THP is off
// the advice is a no-op. Memory is returned to the system at once on release (munmap), not kept in a heap.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace edgerun {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// `bytes` > 0 of zeroed memory, 64-byte aligned (2 MiB aligned from kHugePageBytes); nullptr when out of memory.
void* map_zeroed(size_t bytes);
// Releases a block from map_zeroed(bytes) (same size).
void unmap_zeroed(void* p, size_t bytes);

// Allocator for vectors of packed weights: blocks of at least `kMinMappedBytes` come from map_zeroed, smaller
// ones from std::allocator. resize() default-initialises (no zero fill: packers write every element, padding
// included, and fresh mappings are zero anyway), which saves a pass over every weight byte at load.
template <class T>
struct LargeAllocator {
  using value_type = T;
  static constexpr size_t kMinMappedBytes = size_t{1} << 20;
  LargeAllocator() = default;
  template <class U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kMinMappedBytes) return std::allocator<T>().allocate(n);
    void* p = map_zeroed(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kMinMappedBytes) return std::allocator<T>().deallocate(p, n);
    unmap_zeroed(p, bytes);
  }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const LargeAllocator<U>&) const noexcept { return true; }
};

}  // namespace edgerun
