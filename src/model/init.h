// Starting weights from another checkpoint (`--init PATH`, train.init): every tensor of the file
// whose name and shape match one of the model's is copied in; the rest keep their initial values.
//
//   InitReport r = init_from(*net, read_state_dict("efficientat_mn04_as.pt"));
//   std::cerr << r.summary("efficientat_mn04_as.pt") << "\n";
//   // "init from efficientat_mn04_as.pt: took 310 of the model's 312 tensors (983599 values);
//   //  kept initial: classifier.5.weight [5, 512] (file [527, 512]), ...; not used from the file: ..."
//
// Any murmur or PyTorch checkpoint works (read_state_dict: plain state dicts, or ones under
// 'model_state_dict' / 'state_dict'). An ensemble file's first member is taken ("member0." is
// dropped from its names). Nothing matching at all is an error: the wrong file, not a start.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace murmur::model {

struct InitReport {
  std::vector<std::string> taken;          // model tensors copied from the file
  std::vector<std::string> shape_differs;  // "name [model shape] (file [shape])": kept initial
  std::vector<std::string> not_in_file;    // model tensors the file lacks: kept initial
  std::vector<std::string> unused;         // file tensors the model has no place for
  int64_t values_taken = 0;
  std::string summary(const std::string& source) const;  // one paragraph, as above
};

// murmur::Error unless `path` (train.init, --init) is a file: said before any data is read. A
// path holding kSourcePlaceholder is an error here too: only leave-one-source-out fills it in.
void require_init_file(const std::string& path);

// "{source}" in train.init: with cv --split source, each held-out source's training starts from
// its own file (e.g. a pretraining without that source: `pretrain --exclude-source S`).
//   init_for_source("pre-no-{source}/model.pth", "training-a") == "pre-no-training-a/model.pth"
inline constexpr const char* kSourcePlaceholder = "{source}";
bool has_source_placeholder(const std::string& path);
std::string init_for_source(const std::string& path, const std::string& source);  // every placeholder replaced

// Copies the matching tensors into `model` (no autograd). Throws murmur::Error naming `source`
// when not one tensor matches.
InitReport init_from(torch::nn::Module& model, const StateDict& file, const std::string& source = "init");

}  // namespace murmur::model
