// serve's micro-batching (serve/batcher.h): every request gets its own answer, batches form from
// the requests that are coming and never exceed max_batch, a lone request does not wait out the
// window, and a failed batch fails each of its requests with the run's error.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "serve/batcher.h"

namespace murmur::serve {
namespace {

using Clock = std::chrono::steady_clock;

// Doubles every recording, and remembers the batch sizes it was given.
struct Doubler {
  std::mutex mutex;
  std::vector<size_t> sizes;
  Batcher::Run run() {
    return [this](const std::vector<torch::Tensor>& xs) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        sizes.push_back(xs.size());
      }
      std::vector<torch::Tensor> out;
      for (const auto& x : xs) out.push_back(x * 2);
      return out;
    };
  }
};

// n requests announced first (as the server does when their decoding starts), then submitted
// from n threads: returns each one's answer.
std::vector<torch::Tensor> submit_all(Batcher& b, int n) {
  std::vector<Batcher::Coming> coming;
  for (int i = 0; i < n; ++i) coming.push_back(b.coming());
  std::vector<torch::Tensor> answers(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] { answers[size_t(i)] = b.submit(coming[size_t(i)], torch::full({3}, double(i))); });
  for (auto& t : threads) t.join();
  return answers;
}

TEST(Batcher, EveryRequestGetsItsOwnAnswerFromOneBatch) {
  Doubler d;
  Batcher b(d.run(), BatchConfig{/*window_ms=*/10000, /*max_batch=*/16});
  const auto t0 = Clock::now();
  auto answers = submit_all(b, 16);
  for (int i = 0; i < 16; ++i) EXPECT_TRUE(torch::equal(answers[size_t(i)], torch::full({3}, 2.0 * i))) << i;
  // All 16 were announced before any submitted: the batch waited for them all, and not for the
  // window (10 s), since nothing more was coming.
  EXPECT_EQ(b.stats().batches, 1u);
  EXPECT_EQ(b.stats().largest, 16);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
}

TEST(Batcher, BatchesNeverExceedMaxBatch) {
  Doubler d;
  Batcher b(d.run(), BatchConfig{10000, 4}, /*threads=*/2);
  auto answers = submit_all(b, 10);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(torch::equal(answers[size_t(i)], torch::full({3}, 2.0 * i))) << i;
  const auto s = b.stats();
  EXPECT_EQ(s.recordings, 10u);
  EXPECT_LE(s.largest, 4);
  EXPECT_GE(s.batches, 3u);
  for (size_t n : d.sizes) EXPECT_TRUE(n >= 1 && n <= 4) << n;
}

TEST(Batcher, ALoneOrWithdrawnRequestDoesNotWaitOutTheWindow) {
  Doubler d;
  Batcher b(d.run(), BatchConfig{/*window_ms=*/20000, 16});
  const auto t0 = Clock::now();
  {
    auto c = b.coming();
    EXPECT_TRUE(torch::equal(b.submit(c, torch::ones({2})), torch::full({2}, 2.0)));
  }
  {
    auto c = b.coming();
    { auto gone = b.coming(); }  // announced, then failed before submitting (e.g. undecodable)
    EXPECT_TRUE(torch::equal(b.submit(c, torch::ones({2})), torch::full({2}, 2.0)));
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 10.0);  // not the 20 s window
  EXPECT_EQ(b.stats().batches, 2u);
}

TEST(Batcher, AFailedBatchFailsEachOfItsRequests) {
  Batcher b([](const std::vector<torch::Tensor>&) -> std::vector<torch::Tensor> {
              throw std::runtime_error("model: out of memory");
            },
            BatchConfig{10000, 8});
  std::vector<Batcher::Coming> coming;
  for (int i = 0; i < 3; ++i) coming.push_back(b.coming());
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      try {
        b.submit(coming[size_t(i)], torch::ones({1}));
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "model: out of memory") ++failed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 3);
  // A run that answers for the wrong number of recordings is an error too, not a crash.
  Batcher short_run([](const std::vector<torch::Tensor>&) { return std::vector<torch::Tensor>{}; }, BatchConfig{});
  auto c = short_run.coming();
  EXPECT_THROW(short_run.submit(c, torch::ones({1})), std::logic_error);
}

}  // namespace
}  // namespace murmur::serve
