// Fuzz target: predictions CSVs as `cv` (resume, report), `compare` and `report` read them back
// (eval::predictions_from_csv): the header, class and threshold columns, numbers of every form,
// label sets. What the reader accepts must write back and read again to the same rows, bit for
// bit (a finding otherwise). Seeds: fuzz/corpus/predictions.
#include <cstring>

#include "eval/predictions.h"
#include "fuzz_util.h"
#include "util/number_text.h"

namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = murmur::fuzz::bytes(data, size);
  murmur::fuzz::expect_errors([&] {
    std::vector<std::string> names;
    const murmur::eval::Predictions rows = murmur::eval::predictions_from_csv(text, "fuzz.csv", &names);
    std::string again;
    try {
      again = murmur::eval::predictions_to_csv(rows, names);
    } catch (const murmur::Error&) {
      return;  // rows the writer refuses (a duplicate class name, say) are not a round-trip case
    }
    std::vector<std::string> names2;
    murmur::eval::Predictions back;
    try {
      back = murmur::eval::predictions_from_csv(again, "again.csv", &names2);
    } catch (const murmur::Error&) {
      __builtin_trap();  // the writer wrote what the reader refuses
    }
    if (names2 != names || back.size() != rows.size()) __builtin_trap();
    for (size_t i = 0; i < rows.size(); ++i) {
      if (back[i].file != rows[i].file || back[i].true_class != rows[i].true_class ||
          back[i].true_labels != rows[i].true_labels || back[i].probs.size() != rows[i].probs.size() ||
          back[i].thresholds.size() != rows[i].thresholds.size())
        __builtin_trap();
      for (size_t c = 0; c < rows[i].probs.size(); ++c)
        if (!same_bits(back[i].probs[c], murmur::util::flush_probability(rows[i].probs[c]))) __builtin_trap();
      for (size_t c = 0; c < rows[i].thresholds.size(); ++c)
        if (!same_bits(back[i].thresholds[c], rows[i].thresholds[c])) __builtin_trap();
    }
  });
  return 0;
}
