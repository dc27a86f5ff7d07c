#include "model/checkpoint.h"

#include <algorithm>
#include <cmath>

#include "model/saved.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/version.h"
#include "util/json.h"

namespace murmur::model {

namespace {

std::string shape_str(const torch::Tensor& t) { return c10::str(t.sizes()); }

torch::Dtype torch_dtype(DType d) {
  switch (d) {
    case DType::kFloat: return torch::kFloat;
    case DType::kDouble: return torch::kDouble;
    case DType::kHalf: return torch::kHalf;
    case DType::kBFloat16: return torch::kBFloat16;
    case DType::kLong: return torch::kLong;
    case DType::kInt: return torch::kInt;
    case DType::kShort: return torch::kShort;
    case DType::kChar: return torch::kChar;
    case DType::kByte: return torch::kByte;
    case DType::kBool: return torch::kBool;
  }
  throw Error("unknown dtype");
}

// The view as a LibTorch tensor sharing the storage's bytes (kept alive by the tensor).
torch::Tensor to_torch(const RawTensor& r) {
  auto keep = r.bytes;
  auto storage = torch::from_blob(keep->data(), {r.storage_numel}, [keep](void*) {},
                                  torch::TensorOptions().dtype(torch_dtype(r.dtype)));
  return storage.as_strided(r.sizes, r.strides, r.offset);
}

StateDict to_state_dict(const RawState& state) {
  StateDict sd;
  for (const auto& [key, t] : state) sd.insert(key, to_torch(t));
  return sd;
}

// Throws unless every floating-point tensor of the state dict is finite, naming the first key
// that is not (NaN weights otherwise give "nan" probabilities with exit code 0).
void check_finite(const std::string& path, const StateDict& sd) {
  for (const auto& item : sd) {
    const torch::Tensor& t = item.value();
    if (!t.is_floating_point() || torch::isfinite(t).all().item<bool>()) continue;
    const torch::Tensor bad = torch::logical_not(torch::isfinite(t)).flatten().nonzero();
    throw Error(path + ": model_state_dict['" + item.key() + "'] has " + std::to_string(bad.size(0)) +
                " non-finite values (NaN or Inf; the first at flat index " + std::to_string(bad[0].item<int64_t>()) +
                "): a corrupt or diverged checkpoint");
  }
}

}  // namespace

Checkpoint read_checkpoint(const std::string& path) {
  SavedCheckpoint saved = read_saved_checkpoint(path);
  Checkpoint ck;
  ck.state_dict = to_state_dict(saved.state);
  check_finite(path, ck.state_dict);  // half and bfloat16 too
  ck.val_acc = saved.val_acc;
  ck.label_to_idx = std::move(saved.label_to_idx);
  ck.epoch = saved.epoch;
  ck.preset = std::move(saved.preset);
  ck.murmur_config = std::move(saved.murmur_config);
  ck.class_names = std::move(saved.class_names);
  ck.provenance = std::move(saved.provenance);
  ck.n_members = saved.n_members;
  return ck;
}

StateDict read_state_dict(const std::string& path) {
  StateDict sd = to_state_dict(read_saved_state(path));
  check_finite(path, sd);
  return sd;
}

void write_checkpoint(const std::string& path, const Checkpoint& ck) {
  std::vector<std::string> class_names = ck.class_names;
  if (class_names.empty()) {
    class_names.resize(ck.label_to_idx.size());
    for (const auto& [label, idx] : ck.label_to_idx)
      if (idx >= 0 && idx < int64_t(class_names.size())) class_names[size_t(idx)] = label;
  }
  check_class_names(path, class_names, ck.label_to_idx);

  c10::impl::GenericDict tensors(c10::StringType::get(), c10::TensorType::get());
  if (!std::isfinite(ck.val_acc)) throw Error(path + ": val_acc: NaN/infinity cannot be written");
  for (const auto& item : ck.state_dict) {
    // What read_checkpoint refuses is refused here first, where the cause is still at hand.
    if (item.value().is_floating_point() && !torch::isfinite(item.value()).all().item<bool>())
      throw Error(path + ": " + item.key() + ": NaN/infinity in the weights cannot be written (did training diverge?)");
    // A compact CPU copy: pickle_save writes a tensor's whole storage, which for a view could be
    // much more than the tensor.
    tensors.insert(item.key(), item.value().detach().to(torch::kCPU).clone(at::MemoryFormat::Contiguous));
  }
  c10::Dict<std::string, int64_t> label_to_idx;
  for (const auto& [label, idx] : ck.label_to_idx) label_to_idx.insert(label, idx);
  c10::List<std::string> names;
  for (const auto& n : class_names) names.push_back(n);
  nlohmann::json provenance = ck.provenance.is_null() ? nlohmann::json::object() : ck.provenance;
  if (!provenance.is_object()) throw Error(path + ": provenance must be a JSON object, got " + util::json_text(provenance));
  provenance["murmur_version"] = MURMUR_VERSION;
  provenance["murmur_commit"] = util::git_commit();

  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model_state_dict", tensors);
  root.insert("val_acc", ck.val_acc);
  root.insert("label_to_idx", label_to_idx);
  root.insert("epoch", ck.epoch);
  root.insert("preset", ck.preset);
  root.insert("murmur_config", util::json_file_text(ck.murmur_config, -1, path + ": murmur_config"));
  root.insert("class_names", names);
  root.insert("provenance", util::json_file_text(provenance, -1, path + ": provenance"));
  if (ck.n_members > 1) root.insert("n_members", ck.n_members);
  const std::vector<char> bytes = torch::pickle_save(root);
  util::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

StateDict member_state(const StateDict& sd, int64_t k) {
  const std::string prefix = "member" + std::to_string(k) + ".";
  StateDict out;
  for (const auto& item : sd)
    if (item.key().rfind(prefix, 0) == 0) out.insert(item.key().substr(prefix.size()), item.value());
  return out;
}

void add_member_state(StateDict& into, const StateDict& member, int64_t k) {
  for (const auto& item : member) into.insert("member" + std::to_string(k) + "." + item.key(), item.value());
}

StateDict state_dict(const torch::nn::Module& model) {
  StateDict sd;
  auto add_own = [&sd](const std::string& prefix, const torch::nn::Module& m) {
    for (const auto& p : m.named_parameters(/*recurse=*/false)) sd.insert(prefix + p.key(), p.value());
    for (const auto& b : m.named_buffers(/*recurse=*/false)) sd.insert(prefix + b.key(), b.value());
  };
  add_own("", model);
  for (const auto& m : model.named_modules(/*name_prefix=*/"", /*include_self=*/false)) add_own(m.key() + ".", *m.value());
  return sd;
}

void load_into(torch::nn::Module& model, const StateDict& sd, const std::string& source) {
  StateDict target = state_dict(model);
  std::string missing, unexpected;
  for (const auto& item : target)
    if (!sd.contains(item.key())) missing += (missing.empty() ? "" : ", ") + item.key();
  for (const auto& item : sd)
    if (!target.contains(item.key())) unexpected += (unexpected.empty() ? "" : ", ") + item.key();
  if (!missing.empty() || !unexpected.empty())
    throw Error(source + ": state dict does not match the model: missing keys [" + missing + "]; unexpected keys [" +
                unexpected + "]");
  for (const auto& item : target) {
    const torch::Tensor& src = sd[item.key()];
    if (!src.sizes().equals(item.value().sizes()))
      throw Error(source + ": " + item.key() + ": shape " + shape_str(src) + " in the state dict, " +
                  shape_str(item.value()) + " in the model");
    // copy_ would convert silently (int64 weights truncated, doubles rounded): refuse instead.
    if (src.scalar_type() != item.value().scalar_type())
      throw Error(source + ": " + item.key() + ": dtype " + c10::toString(src.scalar_type()) + " in the state dict, " +
                  c10::toString(item.value().scalar_type()) + " in the model");
  }
  torch::NoGradGuard no_grad;
  for (auto& item : target) item.value().copy_(sd[item.key()]);
}

torch::Tensor read_tensor_file(const std::string& path) {
  const PickleValue v = read_saved_pickle(path);
  if (v.kind() != PickleValue::Kind::kTensor)
    throw Error(path + ": holds a " + PickleValue::kind_name(v.kind()) + ", not a tensor");
  return to_torch(v.tensor()).clone();
}

void write_tensor_file(const std::string& path, const torch::Tensor& t) {
  const std::vector<char> bytes = torch::pickle_save(t.detach().to(torch::kCPU).clone(at::MemoryFormat::Contiguous));
  util::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void write_class_names_json(const std::string& path, const std::vector<std::string>& class_names) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < class_names.size(); ++i) j[std::to_string(i)] = class_names[i];
  util::write_file_atomic(path, util::json_text(j, 2) + "\n");
}

}  // namespace murmur::model
