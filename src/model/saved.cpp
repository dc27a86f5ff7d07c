#include "model/saved.h"

#include <algorithm>
#include <cmath>

#include "model/zip_index.h"
#include "util/error.h"

namespace murmur::model {

namespace {

// What the members of a zip may decompress to in all: 4 x the file's size, at least 64 MiB.
// torch.save stores members uncompressed, so a real checkpoint expands 1x; a zip bomb is refused
// from its central directory before anything is allocated.
uint64_t decompressed_limit(uint64_t file_size) { return std::max<uint64_t>(uint64_t(64) << 20, 4 * file_size); }

// Throws unless every float or double tensor is finite, naming the first key that is not (NaN
// weights otherwise give "nan" probabilities with exit code 0).
void check_finite(const std::string& path, const RawState& state) {
  for (const auto& [key, t] : state) {
    if (t.dtype != DType::kFloat && t.dtype != DType::kDouble) continue;
    // A view with more elements than its storage (stride 0: an expanded tensor, or a hostile file)
    // repeats them: its storage is what is checked, in storage order.
    const RawTensor whole = t.numel() > t.storage_numel ? t.view(0, {t.storage_numel}, {1}) : t;
    int64_t bad = 0, first = -1;
    for (int64_t k = 0, n = whole.numel(); k < n; ++k)
      if (!std::isfinite(whole.at_flat(k)) && bad++ == 0) first = k;
    if (bad > 0)
      throw Error(path + ": model_state_dict['" + key + "'] has " + std::to_string(bad) +
                  " non-finite values (NaN or Inf; the first at flat index " + std::to_string(first) +
                  "): a corrupt or diverged checkpoint");
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

SavedCheckpoint checkpoint_from_pickle(const std::string& path, const PickleValue& root) {
  SavedCheckpoint ck;
  for (const auto& [k, v] : root.at("model_state_dict").dict()) ck.state.emplace_back(k.str(), v.tensor());
  check_finite(path, ck.state);
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

const RawTensor* SavedCheckpoint::find(const std::string& key) const {
  for (const auto& [k, t] : state)
    if (k == key) return &t;
  return nullptr;
}

PickleValue read_saved_pickle(const std::string& path) {
  const ZipIndex zip = read_zip_index(path);
  if (zip.total_size > decompressed_limit(zip.file_size))
    throw Error(path + ": zip members decompress to " + std::to_string(zip.total_size) + " bytes, more than the limit of " +
                std::to_string(decompressed_limit(zip.file_size)) +
                " (4 x the file's size, at least 64 MiB): refusing a possible zip bomb");
  // A record's bytes, verified against the zip's CRC-32. `prefix` starts the error messages (""
  // inside the unpickler, which names the file itself).
  auto read_record = [&](const std::string& record, const std::string& prefix) {
    const ZipMember* member = zip.find_record(record);
    if (!member) throw Error(prefix + zip.archive + "/" + record + ": no such record in the zip");
    try {
      return read_member(zip, *member);
    } catch (const Error& e) {
      const std::string msg = e.what();
      throw Error(msg.rfind(path + ":", 0) == 0 ? msg : prefix + msg);
    }
  };
  if (zip.find_record("byteorder")) {
    const auto b = read_record("byteorder", path + ": ");
    const std::string order(b.begin(), b.end());
    if (order != "little") throw Error(path + ": byteorder '" + order + "' is not supported (little only)");
  }
  const auto data = read_record("data.pkl", path + ": ");
  const std::string pickle(data.begin(), data.end());

  std::map<std::string, RawTensor> storages;  // a storage shared by several tensors is read once
  auto load_storage = [&](const PickleValue& pid) -> PickleValue {
    const PickleItems& f = pid.items();
    if (f.size() != 5 || f[0].kind() != PickleValue::Kind::kString || f[0].str() != "storage")
      throw Error("expected ('storage', type, key, location, numel)");
    const DType dtype = storage_dtype(f[1].str());
    const std::string& key = f[2].str();
    const int64_t numel = f[4].as_int();  // f[3] is the saving device: everything loads to CPU
    auto cached = storages.find(key);
    if (cached != storages.end()) return PickleValue::make_tensor(cached->second);
    const std::string record = "data/" + key;
    const ZipMember* member = zip.find_record(record);
    if (!member) throw Error(zip.archive + "/" + record + ": no such record in the zip");
    // The claimed count must fit the record exactly before anything is allocated.
    uint64_t expected = 0;
    const bool overflow = numel >= 0 && __builtin_mul_overflow(uint64_t(numel), uint64_t(dtype_size(dtype)), &expected);
    if (numel < 0 || overflow || expected != member->size)
      throw Error(record + ": " + std::to_string(member->size) + " bytes for " + std::to_string(numel) + " " +
                  dtype_name(dtype) + " values (" +
                  (numel < 0 ? "a negative count" : overflow ? "more than 2^64 bytes" : std::to_string(expected) + " expected") + ")");
    RawTensor storage = RawTensor::storage(dtype, numel, read_record(record, ""));
    storages.emplace(key, storage);
    return PickleValue::make_tensor(storage);
  };
  return unpickle(pickle, path, load_storage);
}

SavedCheckpoint read_saved_checkpoint(const std::string& path) {
  const PickleValue root = read_saved_pickle(path);
  try {
    return checkpoint_from_pickle(path, root);
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(path + ":", 0) == 0) throw;
    throw Error(path + ": " + msg);  // e.g. "pickle: dict has no key 'val_acc'"
  }
}

RawState read_saved_state(const std::string& path) {
  const PickleValue root = read_saved_pickle(path);
  RawState state;
  try {
    const PickleValue* tensors = &root;
    for (const char* key : {"model_state_dict", "state_dict"})
      if (root.kind() == PickleValue::Kind::kDict && root.find(key)) tensors = &root.at(key);
    for (const auto& [k, v] : tensors->dict()) state.emplace_back(k.str(), v.tensor());
  } catch (const Error& e) {
    throw Error(path + ": not a state dict ({name: tensor}, or one under 'model_state_dict' or 'state_dict'): " +
                e.what());
  }
  if (state.empty()) throw Error(path + ": the state dict has no tensors");
  check_finite(path, state);
  return state;
}

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

}  // namespace murmur::model
