// torch.save'd files read without LibTorch: murmur's checkpoints, the reference's, published
// state dicts. The zip's directory is checked first (zip_index.h), every record against its
// CRC-32, and the pickle is read by murmur's own unpickler (pickle.h). checkpoint.h turns what
// this reads into LibTorch tensors; LibTorch-free inference (infer/) uses it as it is.
//
//   SavedCheckpoint ck = read_saved_checkpoint("model.pth");  // murmur::Error naming the file
//   const RawTensor* w = ck.find("trunk.0.weight");           // nullptr if absent
//   ck.murmur_config["name"]                                  // "native"; null for the reference's
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/pickle.h"

namespace murmur::model {

using RawState = std::vector<std::pair<std::string, RawTensor>>;  // by state-dict key, in file order

// What checkpoint.h's Checkpoint holds, with the weights as stored (see there for each field).
struct SavedCheckpoint {
  RawState state;
  double val_acc = 0;
  std::map<std::string, int64_t> label_to_idx;
  int64_t epoch = -1;
  std::string preset;
  nlohmann::json murmur_config;
  std::vector<std::string> class_names;
  nlohmann::json provenance;
  int64_t n_members = 1;
  const RawTensor* find(const std::string& key) const;
};

inline constexpr int64_t kMaxMembers = 64;  // more in one file is refused as corrupt

// The pickle of a torch.save / torch::pickle_save zip, storages loaded from data/<key>. Refuses
// (murmur::Error naming the file) a zip whose members would decompress to more than 4x the file
// (at least 64 MiB), records whose CRC or size disagree, a byte order other than little.
PickleValue read_saved_pickle(const std::string& path);

// A checkpoint (see checkpoint.h for the fields and every check), or a plain state dict
// ({name: tensor}, or one under 'model_state_dict' or 'state_dict'). Floating-point weights that
// are not finite are refused, naming the key.
SavedCheckpoint read_saved_checkpoint(const std::string& path);
RawState read_saved_state(const std::string& path);

// Throws unless class_names[i] has index i in label_to_idx, for every i and nothing else.
void check_class_names(const std::string& path, const std::vector<std::string>& names,
                       const std::map<std::string, int64_t>& label_to_idx);

}  // namespace murmur::model
