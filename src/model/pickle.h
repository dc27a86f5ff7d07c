// A small, safe unpickler for the pickles inside PyTorch checkpoints (torch.save, torch::pickle_save).
//
//   PickleValue v = unpickle(bytes, "seed_model.pth", [&](const PickleValue& pid) { ... });
//   const PickleValue& sd = v.at("model_state_dict");        // dict lookup by string key
//   for (const auto& [k, t] : sd.dict()) use(k.str(), t.tensor());
//
// Why our own: LibTorch 1.13's torch::pickle_load rejects the BUILD opcode that restores an
// OrderedDict's `_metadata` (pytorch#100741), so it cannot read a plain torch.save'd state dict.
//
// Supported opcodes (protocols 2-5 as torch.save uses them) and the whitelist of globals (never
// executed) are listed in docs/formats.md; anything else throws murmur::Error naming the opcode
// and byte offset, or the global. Persistent ids (BINPERSID) go to the caller's callback.
#pragma once


#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/raw_tensor.h"

namespace murmur::model {

class PickleValue;
using PickleItems = std::vector<PickleValue>;                          // tuple or list
using PickleDict = std::vector<std::pair<PickleValue, PickleValue>>;   // in insertion order

// One unpickled Python value. Lists and dicts are shared (as in Python), because pickles fill
// them after memoising them. Nesting is bounded (kMaxDepth) and cannot form a cycle: a container
// already placed in another may still take values but may not grow deeper (Error otherwise).
class PickleValue {
 public:
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kTensor, kGlobal };

  static constexpr int kMaxDepth = 100;  // containers within containers; state dicts need ~5

  PickleValue() = default;  // None
  static PickleValue make_bool(bool b);
  static PickleValue make_int(int64_t i);
  static PickleValue make_float(double f);
  static PickleValue make_string(std::string s);
  static PickleValue make_tuple(PickleItems items);
  static PickleValue make_list(PickleItems items = {});
  static PickleValue make_dict(PickleDict items = {});
  static PickleValue make_tensor(RawTensor t);         // also a storage: 1-D tensor of its dtype
  static PickleValue make_global(std::string dotted);  // "torch.FloatStorage"

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  // Typed access; each throws murmur::Error("pickle: expected <kind>, got <kind>") on a mismatch.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;                 // int or float
  const std::string& str() const;           // string, or a global's dotted name
  const PickleItems& items() const;         // tuple or list
  const PickleDict& dict() const;
  const RawTensor& tensor() const;
  int depth() const;                        // 0 for a scalar, 1 + deepest element for a container
  // Python's list.append and d[key] = value (a repeated str/int/bool key overwrites in place).
  void append(PickleValue v);
  void set_item(PickleValue key, PickleValue value);

  // Dict lookup by string key: nullptr (find) or murmur::Error naming the key (at) if absent.
  const PickleValue* find(const std::string& key) const;
  const PickleValue& at(const std::string& key) const;

  static const char* kind_name(Kind k);

 private:
  struct Node;  // a container's elements, depth and whether it was placed in another
  void adopt(const PickleValue& child);  // depth and placement bookkeeping of a new element

  Kind kind_ = Kind::kNone;
  bool b_ = false;  int64_t i_ = 0;  double f_ = 0;
  std::string s_;
  std::shared_ptr<Node> node_;
  RawTensor tensor_;
};

// Called for each persistent id (a tuple; for PyTorch ('storage', <Dtype>Storage global, key,
// location, numel)); returns the loaded value.
using PersistentLoad = std::function<PickleValue(const PickleValue& pid)>;

// Unpickles bytes. `source` starts every error message (e.g. "seed_model.pth"). Without a
// persistent_load callback, BINPERSID is an error.
PickleValue unpickle(const std::string& bytes, const std::string& source,
                     const PersistentLoad& persistent_load = nullptr);


}  // namespace murmur::model
