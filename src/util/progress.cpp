#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace murmur::util {

Progress::Progress(std::string label, long total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), tty_(::isatty(2)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

std::string Progress::format_seconds(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

void Progress::tick(long n) {
  std::lock_guard<std::mutex> lock(mu_);
  count_ += n;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most 5 times a second on a terminal, every 10% (or each note) in a log file.
  double since = std::chrono::duration<double>(now - last_draw_).count();
  bool step = total_ > 0 && (count_ * 10 / total_) != ((count_ - n) * 10 / total_);
  if ((tty_ && since > 0.2) || (!tty_ && step) || count_ == total_) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::set_note(const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  note_ = note;  // shown at the next tick
}

void Progress::done() {
  std::lock_guard<std::mutex> lock(mu_);
  draw(true);
}

void Progress::draw(bool final) {
  if (quiet_) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? double(count_) / elapsed : 0;
  std::string eta = rate > 0 && total_ > count_ ? "  ETA " + format_seconds(double(total_ - count_) / rate) : "";
  std::string line = label_ + "  " + std::to_string(count_) + "/" + std::to_string(total_);
  if (total_ > 0) line += "  " + std::to_string(count_ * 100 / total_) + "%";
  if (final) line += "  done in " + format_seconds(elapsed);
  else line += eta;
  if (!note_.empty()) line += "  " + note_;
  std::fprintf(stderr, tty_ ? "\r\033[K%s%s" : "%s%s", line.c_str(), (final || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace murmur::util
