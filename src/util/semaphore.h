// A counting semaphore that runs a function while holding one of its n places: at most n such
// functions run at once, the rest wait. The server uses it so that cheap endpoints and slow
// uploads never wait behind model work (ServerConfig::workers).
//
//   murmur::util::Semaphore inference(2);
//   auto answer = inference.with([&] { return classify(upload); });  // the place is returned on exit
#pragma once

#include <condition_variable>
#include <mutex>

namespace murmur::util {

class Semaphore {
 public:
  explicit Semaphore(int n) : n_(n) {}
  template <class F>
  auto with(F&& f) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return n_ > 0; });
      --n_;
    }
    struct Release {
      Semaphore& s;
      ~Release() {
        { std::lock_guard<std::mutex> lock(s.mutex_); ++s.n_; }
        s.cv_.notify_one();
      }
    } release{*this};  // also when f throws
    return f();
  }

 private:
  int n_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace murmur::util
