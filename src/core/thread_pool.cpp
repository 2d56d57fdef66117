#include "core/thread_pool.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>

namespace edgerun {
namespace {

thread_local bool t_inside_pool = false;

// Spins this many iterations on the generation counter before sleeping.
constexpr int kSpinIterations = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void pin_to_cpu(int cpu) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  int seen = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &allowed)) continue;
    if (seen++ == cpu) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(c, &one);
      sched_setaffinity(0, sizeof(one), &one);
      return;
    }
  }
}

}  // namespace

int default_thread_count() {
  cpu_set_t allowed;
  int logical = static_cast<int>(std::thread::hardware_concurrency());
  std::set<std::string> cores;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    logical = CPU_COUNT(&allowed);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (!CPU_ISSET(c, &allowed)) continue;
      std::ifstream f("/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/thread_siblings_list");
      std::string s;
      if (f && std::getline(f, s)) cores.insert(s);
    }
  }
  int n = cores.empty() ? logical : static_cast<int>(cores.size());
  return n > 0 ? n : 1;
}

void ThreadPool::chunk(int64_t n, int threads, int t, int64_t* begin, int64_t* end) {
  const int64_t base = n / threads, extra = n % threads;
  *begin = t * base + (t < extra ? t : extra);
  *end = *begin + base + (t < extra ? 1 : 0);
}

ThreadPool::ThreadPool(int threads, bool pin_threads) {
  size_ = threads > 0 ? threads : default_thread_count();
  if (pin_threads) pin_to_cpu(0);
  for (int i = 1; i < size_; ++i)
    workers_.emplace_back([this, i, pin_threads] {
      if (pin_threads) pin_to_cpu(i);
      worker_loop(i);
    });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::worker_loop(int index) {
  t_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load()) return;
    int64_t b, e;
    chunk(n_, size_, index, &b, &e);
    if (b < e) fn_(ctx_, b, e, index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int64_t n, TaskFn fn, void* ctx) {
  if (n <= 0) return;
  if (size_ == 1 || n == 1 || t_inside_pool) {
    fn(ctx, 0, n, 0);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  pending_.store(size_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  t_inside_pool = true;
  int64_t b, e;
  chunk(n, size_, 0, &b, &e);
  if (b < e) fn(ctx, b, e, 0);
  t_inside_pool = false;
  while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
}

}  // namespace edgerun
