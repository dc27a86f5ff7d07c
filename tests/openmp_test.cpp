// util::on_openmp_threads: every item exactly once, on the asked number of threads where OpenMP
// is built in, in order on the calling thread otherwise.
#include "util/openmp.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

struct Seen {
  std::vector<std::atomic<int>> calls;
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::vector<size_t> order;
  explicit Seen(size_t n) : calls(n) {}
  void operator()(size_t i) {
    ++calls[i];
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
    order.push_back(i);
  }
};

}  // namespace

TEST(OpenMp, RunsEveryItemOnceOnTheTeam) {
  Seen seen(1000);
  murmur::util::on_openmp_threads(seen.calls.size(), 2, [&](size_t i) { seen(i); });
  for (auto& c : seen.calls) EXPECT_EQ(c.load(), 1);
  // Static halves: both threads of the team work; without OpenMP, the caller alone.
  EXPECT_EQ(seen.threads.size(), murmur::util::openmp_built_in() ? 2u : 1u);
}

TEST(OpenMp, OneThreadRunsInOrderOnTheCaller) {
  Seen seen(50);
  murmur::util::on_openmp_threads(seen.calls.size(), 1, [&](size_t i) { seen(i); });
  ASSERT_EQ(seen.threads.size(), 1u);
  EXPECT_EQ(*seen.threads.begin(), std::this_thread::get_id());
  for (size_t i = 0; i < seen.order.size(); ++i) EXPECT_EQ(seen.order[i], i);
  Seen none(0);
  murmur::util::on_openmp_threads(0, 2, [&](size_t i) { none(i); });
  EXPECT_TRUE(none.order.empty());
}
