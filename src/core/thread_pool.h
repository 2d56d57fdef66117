// The session's thread pool: parallel_for with a static partition into size() chunks (chunk t is always the
// same range for the same n, and fn gets t as its thread index, so results are deterministic for any thread
// count). Pool thread t (the caller is 0) claims chunk t first, so consecutive nodes split the same way (a conv's
// output channels, then the next depthwise conv's) find their part of the data in the cache of the core that
// wrote it; then it claims whatever chunk is still unclaimed: when a worker is descheduled (another process busy on
// its core) or still asleep, the caller runs its chunk instead of spinning until it wakes. Workers spin briefly
// and then sleep on a condition variable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace edgerun {

class ThreadPool {
 public:
  // threads <= 0: default_thread_count(). pin_threads: thread i runs only on preferred_cpus()[i % n].
  explicit ThreadPool(int threads = 0, bool pin_threads = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Splits [0, n) into size() contiguous chunks (the first n % size() one longer) and calls
  // fn(begin, end, t) once per non-empty chunk t (t in [0, size()): per-chunk buffers may be indexed by it;
  // one OS thread may run several chunks one after the other). Returns when all chunks are done. Called from
  // inside a running parallel_for (nested), runs the whole range on the calling thread.
  template <class F>
  void parallel_for(int64_t n, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(n, [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Static chunk of [0, n) for thread t of `threads`.
  static void chunk(int64_t n, int threads, int t, int64_t* begin, int64_t* end);

 private:
  using TaskFn = void (*)(void* ctx, int64_t begin, int64_t end, int thread);
  void run(int64_t n, TaskFn fn, void* ctx);
  void worker_loop(int index);  // index: the worker's own chunk (the caller is 0)
  // Runs chunk `own` of task `task` (a generation_ value) if unclaimed, then every other unclaimed chunk of it.
  void run_chunks(uint64_t task, int own);

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  // [size_] per chunk: the id of the task whose chunk is still unclaimed, 0 once claimed (and between tasks), so a
  // thread still looking for work of an earlier task cannot take a chunk of the next one.
  std::unique_ptr<std::atomic<uint64_t>[]> open_;
  std::atomic<int> done_chunks_{0};
  std::atomic<bool> stop_{false};
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
};

// Default thread count: the physical cores of this process's affinity mask (SMT siblings counted once) that have
// the highest capacity (sysfs cpu_capacity, else cpuinfo_max_freq): all cores on a homogeneous CPU, the big cores
// on big.LITTLE. >= 1.
int default_thread_count();

// Logical CPUs to pin pool threads to (one per physical core), fastest first; thread i uses entry i % size.
const std::vector<int>& preferred_cpus();

}  // namespace edgerun
