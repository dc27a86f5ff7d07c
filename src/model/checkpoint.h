// Checkpoints that both worlds read: the reference's torch.save files and murmur's own, read and
// written in C++ with no Python; torch.load reads murmur's files into the same dict shape.
//
//   Checkpoint ck = read_checkpoint("seed_model.pth");     // reference or murmur checkpoint
//   SeedCnn model;
//   load_into(model, ck.state_dict);                        // strict: same keys, same shapes
//
//   ck.state_dict = state_dict(*model);
//   ck.epoch = 12; ck.preset = "seed"; ck.murmur_config = cfg_json; ck.provenance = {{"seed", 0}};
//   write_checkpoint("run/model.pth", ck);                  // atomic
//
// What torch.load returns for a file write_checkpoint wrote:
//   {'model_state_dict': {name: tensor}, 'val_acc': float (percent), 'label_to_idx': {label: index},
//    'epoch': int, 'preset': str, 'murmur_config': str (JSON), 'class_names': [label by index],
//    'provenance': str (JSON, with murmur_version and murmur_commit added by the writer),
//    'n_members': int (ensembles only)}
// The reference's seed_model.pth has only model_state_dict, val_acc and label_to_idx; the rest
// then read as epoch -1, empty preset, null JSON, and class_names ordered by label_to_idx.
//
// Reading is murmur's own, with no LibTorch (saved.h; the tensors are then LibTorch's) and never
// runs Python code from the file (see pickle.h for the accepted subset); every
// storage is loaded to CPU whatever device it was saved from (the seed model says "mps").
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/saved.h"
#include "model/seed_cnn.h"

namespace murmur::model {

// Parameters and buffers by PyTorch state-dict key, in PyTorch's order.
using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

struct Checkpoint {
  StateDict state_dict;
  double val_acc = 0;                            // validation accuracy, percent (reference: 71.14)
  std::map<std::string, int64_t> label_to_idx;   // {"AR": 0, "AS": 1, "MR": 2, "MS": 3, "N": 4}
  int64_t epoch = -1;                            // -1: not recorded (the reference's file)
  std::string preset;                            // murmur preset name; "" if not recorded
  nlohmann::json murmur_config;                  // complete preprocessing + model config; null if absent
  std::vector<std::string> class_names;          // label of each output index
  nlohmann::json provenance;                     // dataset fingerprint, split, seed, threads, ...
  // > 1: an ensemble of one preset in one file (murmur train --split all); member k's weights are
  // state_dict's keys under "member<k>." (member_state). Written as 'n_members' only when > 1.
  int64_t n_members = 1;
};

// Member k's weights of an ensemble's state dict, without the "member<k>." prefix; and the
// inverse, adding a member's weights under that prefix.
StateDict member_state(const StateDict& sd, int64_t k);
void add_member_state(StateDict& into, const StateDict& member, int64_t k);

// Reads a torch.save / torch::pickle_save zip checkpoint. Throws murmur::Error naming the file
// (not a zip, missing keys, disallowed globals, truncated records, class names that disagree
// with label_to_idx, a member whose CRC-32 does not match, members that would decompress to more
// than 4x the file (zip bomb), storage sizes that disagree with their records, NaN/Inf weights
// naming the key, ...). Nothing is allocated from a size the file claims before it is checked.
Checkpoint read_checkpoint(const std::string& path);

// The weights of any torch.save'd file: a plain state dict ({name: tensor}, as published models
// come), or the dict under 'model_state_dict' (murmur, the reference) or 'state_dict'.
StateDict read_state_dict(const std::string& path);

// Writes ck atomically. class_names may be empty (then derived from label_to_idx); otherwise it
// must agree with label_to_idx. Adds murmur_version and murmur_commit to the provenance object.
void write_checkpoint(const std::string& path, const Checkpoint& ck);

// The module's parameters and buffers under PyTorch's keys and in PyTorch's order (each module's
// own parameters, then its buffers, then its children). The tensors share memory with the model.
StateDict state_dict(const torch::nn::Module& model);

// Copies state_dict into the model. Strict like PyTorch's load_state_dict: throws murmur::Error
// starting with `source` and listing every missing and unexpected key, or naming the first key
// whose shape or dtype differs (no silent conversion of, say, int64 weights).
void load_into(torch::nn::Module& model, const StateDict& state_dict, const std::string& source = "state dict");
inline void load_into(SeedCnn& model, const StateDict& sd, const std::string& source = "state dict") {
  load_into(*model, sd, source);
}

// A single torch.save'd tensor (e.g. the reference's random_input.pt), and its writer.
torch::Tensor read_tensor_file(const std::string& path);
void write_tensor_file(const std::string& path, const torch::Tensor& t);

// The reference's class_names.json: {"0": "AR", "1": "AS", ...} (index -> label, in index order).
void write_class_names_json(const std::string& path, const std::vector<std::string>& class_names);

}  // namespace murmur::model
