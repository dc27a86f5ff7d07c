#include "model/checkpoint.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "model/pickle.h"
#include "model/zip_index.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/version.h"
#include "util/json.h"

namespace murmur::model {

namespace {

std::string shape_str(const torch::Tensor& t) { return c10::str(t.sizes()); }

// First line of a c10::Error (the rest is a C++ backtrace).
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// What the members of a zip may decompress to in all: 4 x the file's size, at least 64 MiB.
// torch.save stores members uncompressed, so a real checkpoint expands 1x; a zip bomb is refused
// from its central directory before anything is allocated.
uint64_t decompressed_limit(uint64_t file_size) { return std::max<uint64_t>(uint64_t(64) << 20, 4 * file_size); }

// Opens a zip checkpoint and unpickles its data.pkl, loading storages from data/<key> to CPU.
// Sizes are checked against the zip's central directory before reading, CRCs after.
PickleValue read_pickle_zip(const std::string& path) {
  const ZipIndex zip = read_zip_index(path);
  if (zip.total_size > decompressed_limit(zip.file_size))
    throw Error(path + ": zip members decompress to " + std::to_string(zip.total_size) + " bytes, more than the limit of " +
                std::to_string(decompressed_limit(zip.file_size)) +
                " (4 x the file's size, at least 64 MiB): refusing a possible zip bomb");
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  // A record's bytes, verified against the zip's CRC-32 (LibTorch's reader does not check it).
  // `prefix` starts the error messages ("" inside the unpickler, which names the file itself).
  auto read_record = [&](const std::string& record, const std::string& prefix) {
    const ZipMember* member = zip.find_record(record);
    if (!member) throw Error(prefix + zip.archive + "/" + record + ": no such record in the zip");
    std::tuple<at::DataPtr, size_t> got = reader->getRecord(record);
    try {
      check_crc(*member, std::get<0>(got).get(), std::get<1>(got));
    } catch (const Error& e) {
      throw Error(prefix + e.what());
    }
    return got;
  };
  std::string pickle;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    if (reader->hasRecord("byteorder")) {
      auto [data, size] = read_record("byteorder", path + ": ");
      std::string order(static_cast<const char*>(data.get()), size);
      if (order != "little") throw Error(path + ": byteorder '" + order + "' is not supported (little only)");
    }
    auto [data, size] = read_record("data.pkl", path + ": ");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a readable PyTorch zip checkpoint (" + first_line(e.what()) + ")");
  }

  std::map<std::string, torch::Tensor> storages;  // a storage shared by several tensors is read once
  auto load_storage = [&](const PickleValue& pid) -> PickleValue {
    const PickleItems& f = pid.items();
    if (f.size() != 5 || f[0].kind() != PickleValue::Kind::kString || f[0].str() != "storage")
      throw Error("expected ('storage', type, key, location, numel)");
    const torch::Dtype dtype = storage_dtype(f[1].str());
    const std::string& key = f[2].str();
    const int64_t numel = f[4].as_int();  // f[3] is the saving device: everything loads to CPU
    auto cached = storages.find(key);
    if (cached != storages.end()) return PickleValue::make_tensor(cached->second);
    const std::string record = "data/" + key;
    const ZipMember* member = zip.find_record(record);
    if (!member) throw Error(zip.archive + "/" + record + ": no such record in the zip");
    // The claimed count must fit the record exactly before anything is allocated.
    uint64_t expected = 0;
    const bool overflow = numel >= 0 && __builtin_mul_overflow(uint64_t(numel), uint64_t(c10::elementSize(dtype)), &expected);
    if (numel < 0 || overflow || expected != member->size)
      throw Error(record + ": " + std::to_string(member->size) + " bytes for " + std::to_string(numel) + " " +
                  c10::toString(dtype) + " values (" +
                  (numel < 0 ? "a negative count" : overflow ? "more than 2^64 bytes" : std::to_string(expected) + " expected") + ")");
    at::DataPtr data;
    size_t size = 0;
    try {
      std::tie(data, size) = read_record(record, "");
    } catch (const c10::Error& e) {
      throw Error(record + ": " + first_line(e.what()));
    }
    torch::Tensor storage = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    std::memcpy(storage.data_ptr(), data.get(), size);
    storages.emplace(key, storage);
    return PickleValue::make_tensor(storage);
  };
  return unpickle(pickle, path, load_storage);
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

// Throws unless class_names[i] has index i in label_to_idx, for every i and nothing else.
void check_class_names(const std::string& path, const std::vector<std::string>& names,
                       const std::map<std::string, int64_t>& label_to_idx) {
  bool ok = names.size() == label_to_idx.size();
  for (size_t i = 0; ok && i < names.size(); ++i) {
    auto it = label_to_idx.find(names[i]);
    ok = it != label_to_idx.end() && it->second == int64_t(i);
  }
  if (!ok) {
    std::string l2i;
    for (const auto& [label, idx] : label_to_idx) l2i += (l2i.empty() ? "" : ", ") + label + ": " + std::to_string(idx);
    std::string cn;
    for (const auto& n : names) cn += (cn.empty() ? "" : ", ") + n;
    throw Error(path + ": class_names [" + cn + "] disagree with label_to_idx {" + l2i + "}");
  }
}

nlohmann::json parse_json_field(const std::string& path, const PickleValue& root, const std::string& key) {
  const PickleValue* v = root.find(key);
  if (!v) return nullptr;
  try {
    return nlohmann::json::parse(v->str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": " + key + " is not valid JSON (" + e.what() + ")");
  }
}

Checkpoint checkpoint_from_pickle(const std::string& path, const PickleValue& root) {
  Checkpoint ck;
  for (const auto& [k, v] : root.at("model_state_dict").dict()) ck.state_dict.insert(k.str(), v.tensor());
  check_finite(path, ck.state_dict);
  ck.val_acc = root.at("val_acc").as_double();
  for (const auto& [k, v] : root.at("label_to_idx").dict()) ck.label_to_idx[k.str()] = v.as_int();
  if (const PickleValue* v = root.find("epoch")) ck.epoch = v->as_int();
  if (const PickleValue* v = root.find("n_members")) ck.n_members = v->as_int();
  if (ck.n_members < 1 || ck.n_members > kMaxMembers)
    throw Error(path + ": n_members must be 1-" + std::to_string(kMaxMembers) + " (got " + std::to_string(ck.n_members) + ")");
  if (const PickleValue* v = root.find("preset")) ck.preset = v->str();
  ck.murmur_config = parse_json_field(path, root, "murmur_config");
  ck.provenance = parse_json_field(path, root, "provenance");
  if (const PickleValue* v = root.find("class_names")) {
    for (const auto& name : v->items()) ck.class_names.push_back(name.str());
  } else {
    ck.class_names.resize(ck.label_to_idx.size());
    for (const auto& [label, idx] : ck.label_to_idx)
      if (idx >= 0 && idx < int64_t(ck.class_names.size())) ck.class_names[size_t(idx)] = label;
  }
  check_class_names(path, ck.class_names, ck.label_to_idx);
  return ck;
}

}  // namespace

Checkpoint read_checkpoint(const std::string& path) {
  const PickleValue root = read_pickle_zip(path);
  try {
    return checkpoint_from_pickle(path, root);
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(path + ":", 0) == 0) throw;
    throw Error(path + ": " + msg);  // e.g. "pickle: dict has no key 'val_acc'"
  }
}

StateDict read_state_dict(const std::string& path) {
  const PickleValue root = read_pickle_zip(path);
  StateDict sd;
  try {
    const PickleValue* tensors = &root;
    for (const char* key : {"model_state_dict", "state_dict"})
      if (root.kind() == PickleValue::Kind::kDict && root.find(key)) tensors = &root.at(key);
    for (const auto& [k, v] : tensors->dict()) sd.insert(k.str(), v.tensor());
  } catch (const Error& e) {
    throw Error(path + ": not a state dict ({name: tensor}, or one under 'model_state_dict' or 'state_dict'): " +
                e.what());
  }
  if (sd.is_empty()) throw Error(path + ": the state dict has no tensors");
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
  const PickleValue v = read_pickle_zip(path);
  if (v.kind() != PickleValue::Kind::kTensor)
    throw Error(path + ": holds a " + PickleValue::kind_name(v.kind()) + ", not a tensor");
  return v.tensor();
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
