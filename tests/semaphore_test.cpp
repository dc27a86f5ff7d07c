// util::Semaphore: at most n functions at once, waiters let in first come, first served, and a
// place given back by a function that throws.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/semaphore.h"

namespace {

using murmur::util::Semaphore;

void wait_until(const std::function<bool()>& done) {
  for (int i = 0; i < 5000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(done());
}

TEST(Semaphore, LetsWaitersInInTheOrderTheyCame) {
  Semaphore s(1);
  std::promise<void> open;
  std::shared_future<void> gate = open.get_future().share();
  std::atomic<bool> held{false};
  std::thread holder([&] { s.with([&] { held = true; gate.wait(); }); });
  wait_until([&] { return held.load(); });
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 6; ++i) {
    waiters.emplace_back([&, i] { s.with([&] { std::lock_guard<std::mutex> l(m); order.push_back(i); }); });
    wait_until([&] { return s.waiting() == size_t(i + 1); });  // queued before the next one starts
  }
  open.set_value();
  holder.join();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(Semaphore, RunsAtMostNAtOnceAndKeepsPlacesWhenAFunctionThrows) {
  Semaphore s(2);
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      try {
        s.with([&] {
          const int now = ++inside;
          for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {}
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          --inside;
          if (i % 3 == 0) throw std::runtime_error("a failed request");
        });
      } catch (const std::runtime_error&) {
      }
      ++done;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(done, 16);
  EXPECT_LE(most, 2);
  EXPECT_EQ(s.waiting(), 0u);
  EXPECT_EQ(s.with([] { return 7; }), 7);  // both places are back
}

}  // namespace
