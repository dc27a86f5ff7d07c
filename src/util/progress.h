// A one-line progress display on stderr with rate and ETA; silent when quiet.
//
//   murmur::util::Progress bar("features", n_files, quiet);
//   for (...) { ...; bar.tick(); }          // "features  412/464  89%  31.2/s  ETA 2s"
//   bar.done();
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace murmur::util {

class Progress {
 public:
  Progress(std::string label, long total, bool quiet);
  void tick(long n = 1);                 // thread-safe
  void set_note(const std::string& note);  // shown after the counts (e.g. "fold 2/5 epoch 7")
  void done();
  static std::string format_seconds(double s);  // "2h03m", "4m12s", "9.5s"

 private:
  void draw(bool final);
  std::string label_, note_;
  long total_, count_ = 0;
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
};

}  // namespace murmur::util
