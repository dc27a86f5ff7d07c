// Micro-batching for the service: the features of concurrent requests meet in a queue and go
// through the network together, one forward pass per batch (Predictor::predict_stored_batch: one
// trunk pass per group of equal shape), instead of one pass each.
//
//   Batcher b([&](const std::vector<torch::Tensor>& xs) { return predictor.predict_stored_batch(xs); },
//             BatchConfig{/*window_ms=*/2, /*max_batch=*/16});
//   auto coming = b.coming();               // a request starts decoding: batches may wait for it
//   torch::Tensor probs = b.submit(coming, features);   // any thread; returns its own answer
//
// A batch is run as soon as every request that is coming has submitted, max_batch are queued, or
// window_ms has passed since its first item: a lone request never waits. Answers are those of the
// requests run alone (equal within float rounding: tests/batcher_test.cpp).
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace murmur::serve {

struct BatchConfig {
  double window_ms = 2;  // longest wait of a batch's first request for others (0: none)
  int max_batch = 16;    // recordings in one forward pass (1: no batching)
};

class Batcher {
 public:
  using Run = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&)>;
  // threads: batches run at once (each takes its own model instance in `run`).
  Batcher(Run run, BatchConfig cfg, int threads = 1);
  ~Batcher();  // runs what is queued, then joins
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // A request that will submit (or give up: the destructor of an unused Coming withdraws it).
  class Coming {
   public:
    Coming(Coming&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
    ~Coming();
   private:
    friend class Batcher;
    explicit Coming(Batcher* b) : b_(b) {}
    Batcher* b_;
  };
  Coming coming();
  // Its probabilities; what the run throws for its batch is thrown here (to every request in it).
  torch::Tensor submit(Coming& c, torch::Tensor stored);

  struct Stats { uint64_t batches = 0, recordings = 0; int largest = 0; };
  Stats stats() const;

 private:
  struct Item { torch::Tensor x; std::promise<torch::Tensor> answer; };
  void loop();
  Run run_;
  BatchConfig cfg_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  int coming_ = 0;  // requests counted by coming() that have not submitted or withdrawn
  bool stop_ = false;
  Stats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace murmur::serve
