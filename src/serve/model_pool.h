// Model instances shared by the service's threads: each request (or micro-batch) borrows one
// and gives it back, so an instance is used by one thread at a time.
//
//   ModelPool pool("runs/native", /*copies=*/2);
//   torch::Tensor p = pool.with([&](const pipeline::Predictor& m) { return m.predict_stored(x); });
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/predictor.h"

namespace murmur::serve {

// Preset::recording_probs may flip a module to eval mode: an instance is not safe to share.
class ModelPool {
 public:
  ModelPool(const std::string& path, int copies) {
    for (int i = 0; i < copies; ++i) models_.push_back(std::make_unique<pipeline::Predictor>(pipeline::Predictor::open(path)));
    for (auto& m : models_) free_.push_back(m.get());
  }
  const pipeline::Predictor& any() const { return *models_.front(); }

  template <class F>
  auto with(F&& f) {
    pipeline::Predictor* p;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !free_.empty(); });
      p = free_.back();
      free_.pop_back();
    }
    struct Return {
      ModelPool& pool;
      pipeline::Predictor* p;
      ~Return() {
        { std::lock_guard<std::mutex> lock(pool.mutex_); pool.free_.push_back(p); }
        pool.cv_.notify_one();
      }
    } give_back{*this, p};
    return f(*p);
  }

 private:
  std::vector<std::unique_ptr<pipeline::Predictor>> models_;
  std::vector<pipeline::Predictor*> free_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace murmur::serve
