#include "core/thread_pool.h"

#include <sched.h>

#include <algorithm>
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

int read_int_file(const std::string& path, int fallback) {
  std::ifstream f(path);
  long v = 0;
  if (f >> v && v >= 0 && v < (1L << 30)) return static_cast<int>(v);
  return fallback;
}

void pin_to_cpu(int index) {
  const std::vector<int>& cpus = preferred_cpus();
  if (cpus.empty()) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[static_cast<size_t>(index) % cpus.size()], &one);
  sched_setaffinity(0, sizeof(one), &one);
}

struct Topology {
  std::vector<int> cpus;  // one logical CPU per physical core, fastest cores first
  int fast_cores = 0;     // cores with the highest capacity (all of them on a homogeneous CPU)
};

// CPU topology from sysfs: cpu_capacity (arm64 big.LITTLE, e.g. RK3588 A76+A55) or, where absent, cpufreq's
// cpuinfo_max_freq ranks the cores; SMT siblings count once. Defaulting to all cores on big.LITTLE makes the fast
// cores wait for the slow ones at every parallel_for barrier (llama.cpp#7176), so the default uses the big ones.
Topology read_topology() {
  Topology t;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    int n = static_cast<int>(std::thread::hardware_concurrency());
    for (int c = 0; c < (n > 0 ? n : 1); ++c) t.cpus.push_back(c);
    t.fast_cores = static_cast<int>(t.cpus.size());
    return t;
  }
  struct Core {
    int cpu, capacity;
  };
  std::vector<Core> cores;
  std::set<std::string> seen_siblings;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &allowed)) continue;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(c);
    std::ifstream f(base + "/topology/thread_siblings_list");
    std::string siblings;
    if (f && std::getline(f, siblings) && !seen_siblings.insert(siblings).second) continue;
    int capacity = read_int_file(base + "/cpu_capacity", -1);
    if (capacity < 0) capacity = read_int_file(base + "/cpufreq/cpuinfo_max_freq", 0);
    cores.push_back(Core{c, capacity});
  }
  std::stable_sort(cores.begin(), cores.end(), [](const Core& a, const Core& b) { return a.capacity > b.capacity; });
  for (const Core& core : cores) {
    t.cpus.push_back(core.cpu);
    if (core.capacity == cores.front().capacity) ++t.fast_cores;
  }
  if (t.cpus.empty()) {
    t.cpus.push_back(0);
    t.fast_cores = 1;
  }
  return t;
}

const Topology& topology() {
  static const Topology t = read_topology();
  return t;
}

}  // namespace

const std::vector<int>& preferred_cpus() { return topology().cpus; }

int default_thread_count() { return topology().fast_cores > 0 ? topology().fast_cores : 1; }

void ThreadPool::chunk(int64_t n, int threads, int t, int64_t* begin, int64_t* end) {
  const int64_t base = n / threads, extra = n % threads;
  *begin = t * base + (t < extra ? t : extra);
  *end = *begin + base + (t < extra ? 1 : 0);
}

ThreadPool::ThreadPool(int threads, bool pin_threads) {
  size_ = threads > 0 ? threads : default_thread_count();
  open_ = std::make_unique<std::atomic<uint64_t>[]>(static_cast<size_t>(size_));
  for (int c = 0; c < size_; ++c) open_[static_cast<size_t>(c)].store(0);  // nothing to claim before a task
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
    run_chunks(gen, index);
  }
}

void ThreadPool::run_chunks(uint64_t task, int own) {
  // A claim (acquire) sees the task published before its chunks were opened (release).
  auto run_one = [&](int c) {
    uint64_t expected = task;
    if (!open_[static_cast<size_t>(c)].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
    int64_t b, e;
    chunk(n_, size_, c, &b, &e);
    if (b < e) fn_(ctx_, b, e, c);
    done_chunks_.fetch_add(1, std::memory_order_acq_rel);
  };
  run_one(own);
  for (int i = 1; i < size_; ++i) run_one((own + i) % size_);
}

void ThreadPool::run(int64_t n, TaskFn fn, void* ctx) {
  if (n <= 0) return;
  if (size_ == 1 || n == 1 || t_inside_pool) {
    fn(ctx, 0, n, 0);
    return;
  }
  // Publish the task, then open its chunks (release): a thread that claims a chunk sees this task.
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  done_chunks_.store(0, std::memory_order_relaxed);
  // One task at a time (run() is never concurrent with itself), so no other thread changes generation_ here.
  const uint64_t task = generation_.load(std::memory_order_relaxed) + 1;
  for (int c = 0; c < size_; ++c) open_[static_cast<size_t>(c)].store(task, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.store(task, std::memory_order_release);
  }
  wake_.notify_all();
  t_inside_pool = true;
  run_chunks(task, 0);
  t_inside_pool = false;
  for (int spin = 0; done_chunks_.load(std::memory_order_acquire) != size_; ++spin) {
    if (spin < kSpinIterations)
      cpu_relax();
    else
      std::this_thread::yield();  // a worker holding a chunk was descheduled: let it run
  }
}

}  // namespace edgerun
