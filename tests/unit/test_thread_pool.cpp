// ThreadPool: static partition, every index exactly once (also over many back-to-back tiny tasks), nesting runs
// inline, topology defaults sane. (Which thread runs which chunk is a speed property, not asserted: under load a
// futex wake-up may preempt the caller before it claims chunk 0.)
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/thread_pool.h"

namespace edgerun {
namespace {

TEST(ThreadPool, ChunksCoverTheRangeOnceInOrder) {
  for (int threads : {1, 2, 3, 7})
    for (int64_t n : {0, 1, 2, 5, 100, 101}) {
      int64_t expect = 0;
      for (int t = 0; t < threads; ++t) {
        int64_t b, e;
        ThreadPool::chunk(n, threads, t, &b, &e);
        EXPECT_EQ(b, expect);
        EXPECT_LE(b, e);
        EXPECT_LE(e - b, n / threads + 1);
        expect = e;
      }
      EXPECT_EQ(expect, n);
    }
}

TEST(ThreadPool, EveryIndexRunsExactlyOnceOnItsStaticThread) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int rep = 0; rep < 50; ++rep) {
      std::vector<std::atomic<int>> hits(1000);
      std::vector<int> owner(1000, -1);
      pool.parallel_for(1000, [&](int64_t b, int64_t e, int t) {
        for (int64_t i = b; i < e; ++i) {
          hits[static_cast<size_t>(i)]++;
          owner[static_cast<size_t>(i)] = t;
        }
      });
      for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1);
        int64_t b, e;
        ThreadPool::chunk(1000, threads, owner[static_cast<size_t>(i)], &b, &e);
        ASSERT_TRUE(i >= b && i < e) << "index " << i << " ran on thread " << owner[static_cast<size_t>(i)];
      }
    }
  }
}

// Back-to-back tasks of one index per chunk: a worker still looking for work of one task must not take (or run
// twice) a chunk of the next.
TEST(ThreadPool, BackToBackTinyTasksRunEachChunkOnce) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 3000; ++rep) {
    std::atomic<int> hits[3] = {0, 0, 0};
    pool.parallel_for(3, [&](int64_t b, int64_t e, int t) {
      EXPECT_EQ(e - b, 1);
      EXPECT_EQ(b, t);
      hits[t]++;
    });
    for (int t = 0; t < 3; ++t) ASSERT_EQ(hits[t].load(), 1) << "rep " << rep << " chunk " << t;
  }
}

TEST(ThreadPool, NestedParallelForRunsInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(4, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(10, [&](int64_t b2, int64_t e2, int t2) {
        EXPECT_EQ(t2, 0);
        total += e2 - b2;
      });
  });
  EXPECT_EQ(total.load(), 40);
}

TEST(ThreadPool, PinnedPoolWorksAndTopologyIsSane) {
  EXPECT_GE(default_thread_count(), 1);
  EXPECT_FALSE(preferred_cpus().empty());
  EXPECT_LE(default_thread_count(), static_cast<int>(preferred_cpus().size()));
  ThreadPool pool(3, /*pin_threads=*/true);
  std::atomic<int> sum{0};
  pool.parallel_for(3, [&](int64_t b, int64_t e, int) { sum += static_cast<int>(e - b); });
  EXPECT_EQ(sum.load(), 3);
}

}  // namespace
}  // namespace edgerun
