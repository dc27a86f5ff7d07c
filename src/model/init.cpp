#include "model/init.h"

#include <filesystem>

#include "util/error.h"

namespace murmur::model {
namespace {

std::string listed(const std::vector<std::string>& names, size_t at_most = 8) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < at_most; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > at_most) s += " and " + std::to_string(names.size() - at_most) + " more";
  return s;
}

}  // namespace

std::string InitReport::summary(const std::string& source) const {
  const size_t total = taken.size() + shape_differs.size() + not_in_file.size();
  std::string s = "init from " + source + ": took " + std::to_string(taken.size()) + " of the model's " +
                  std::to_string(total) + " tensors (" + std::to_string(values_taken) + " values)";
  if (!shape_differs.empty()) s += "; kept initial, shape differs: " + listed(shape_differs);
  if (!not_in_file.empty()) s += "; kept initial, not in the file: " + listed(not_in_file);
  if (!unused.empty()) s += "; not used from the file: " + listed(unused);
  return s;
}

bool has_source_placeholder(const std::string& path) { return path.find(kSourcePlaceholder) != std::string::npos; }

std::string init_for_source(const std::string& path, const std::string& source) {
  std::string out = path;
  const std::string key = kSourcePlaceholder;
  for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + source.size()))
    out.replace(at, key.size(), source);
  return out;
}

void require_init_file(const std::string& path) {
  if (has_source_placeholder(path))
    throw Error("train.init (--init): " + path + ": " + kSourcePlaceholder + " stands for the held-out source, which "
                "only cv --split source has (one start per source left out)");
  if (!std::filesystem::is_regular_file(path))
    throw Error("train.init (--init): " + path + " is not a file (a murmur or PyTorch checkpoint to start from; "
                "--set train.init= starts from the seeded initial weights instead)");
}

InitReport init_from(torch::nn::Module& model, const StateDict& file_in, const std::string& source) {
  StateDict file = file_in;
  if (!file.is_empty() && file.begin()->key().rfind("member0.", 0) == 0) file = member_state(file_in, 0);
  InitReport r;
  torch::NoGradGuard no_grad;
  const StateDict mine = state_dict(model);
  for (const auto& item : mine) {
    const torch::Tensor* theirs = file.find(item.key());
    if (!theirs) {
      r.not_in_file.push_back(item.key());
    } else if (theirs->sizes() != item.value().sizes() || theirs->dtype() != item.value().dtype()) {
      r.shape_differs.push_back(item.key() + " " + c10::str(item.value().sizes()) + " (file " +
                                c10::str(theirs->sizes()) + ")");
    } else {
      item.value().copy_(*theirs);
      r.taken.push_back(item.key());
      r.values_taken += item.value().numel();
    }
  }
  for (const auto& item : file)
    if (!mine.contains(item.key())) r.unused.push_back(item.key());
  if (r.taken.empty())
    throw Error(source + ": no tensor matches the model's by name and shape (" + r.summary(source) +
                "): not a checkpoint of this architecture");
  return r;
}

}  // namespace murmur::model
