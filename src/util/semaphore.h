// A counting semaphore that runs a function while holding one of its n places: at most n such
// functions run at once, the rest wait, and they enter in the order they came (first come, first
// served: under load a request never waits behind later ones, which bounds the service's tail
// latency). A place given back goes straight to the oldest waiter, waking that one thread only.
// The server uses it so that cheap endpoints and slow uploads never wait behind model work
// (ServerConfig::workers).
//
//   murmur::util::Semaphore inference(2);
//   auto answer = inference.with([&] { return classify(upload); });  // the place is returned on exit
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

namespace murmur::util {

class Semaphore {
 public:
  explicit Semaphore(int n) : n_(n) {}
  template <class F>
  auto with(F&& f) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (n_ > 0 && waiting_.empty()) {
        --n_;
      } else {
        Waiter me;
        waiting_.push_back(&me);
        me.cv.wait(lock, [&] { return me.admitted; });  // its place was handed over: n_ unchanged
      }
    }
    struct Release {
      Semaphore& s;
      ~Release() {
        std::lock_guard<std::mutex> lock(s.mutex_);
        if (s.waiting_.empty()) {
          ++s.n_;
          return;
        }
        Waiter* next = s.waiting_.front();
        s.waiting_.pop_front();
        next->admitted = true;
        next->cv.notify_one();  // under the lock: `next` lives on its thread's stack until it wakes
      }
    } release{*this};  // also when f throws
    return f();
  }

  size_t waiting() const {  // threads queued for a place
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_.size();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };
  int n_;
  std::deque<Waiter*> waiting_;  // oldest first
  mutable std::mutex mutex_;
};

}  // namespace murmur::util
