#include "serve/batcher.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace murmur::serve {

Batcher::Batcher(Run run, BatchConfig cfg, int threads) : run_(std::move(run)), cfg_(cfg) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

Batcher::Coming Batcher::coming() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++coming_;
  }
  return Coming(this);
}

Batcher::Coming::~Coming() {
  if (!b_) return;
  {
    std::lock_guard<std::mutex> lock(b_->mutex_);
    --b_->coming_;
  }
  b_->cv_.notify_all();  // a batch waiting for this request need not
}

torch::Tensor Batcher::submit(Coming& c, torch::Tensor stored) {
  std::future<torch::Tensor> answer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (c.b_ == this) {
      --coming_;
      c.b_ = nullptr;
    }
    queue_.push_back(Item{std::move(stored), {}});
    answer = queue_.back().answer.get_future();
  }
  cv_.notify_all();
  return answer.get();
}

Batcher::Stats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Batcher::loop() {
  using Clock = std::chrono::steady_clock;
  const auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(cfg_.window_ms));
  const size_t max_batch = size_t(std::max(1, cfg_.max_batch));
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // The first item waits for the requests still decoding, within the window.
    const auto deadline = Clock::now() + window;
    cv_.wait_until(lock, deadline, [&] { return stop_ || coming_ == 0 || queue_.size() >= max_batch; });
    std::vector<Item> batch;
    while (!queue_.empty() && batch.size() < max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (batch.empty()) continue;  // another thread took them
    ++stats_.batches;
    stats_.recordings += batch.size();
    stats_.largest = std::max(stats_.largest, int(batch.size()));
    lock.unlock();
    std::vector<torch::Tensor> xs;
    for (auto& item : batch) xs.push_back(item.x);
    std::vector<torch::Tensor> probs;
    try {
      probs = run_(xs);
      if (probs.size() != batch.size())
        throw std::logic_error("batcher: " + std::to_string(probs.size()) + " answers for " +
                               std::to_string(batch.size()) + " recordings");
    } catch (...) {
      for (auto& item : batch) item.answer.set_exception(std::current_exception());
      lock.lock();
      continue;
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].answer.set_value(probs[i]);
    lock.lock();
  }
}

}  // namespace murmur::serve
