#include "experiment/pretrain_run.h"

#include <filesystem>
#include <iostream>

#include "model/checkpoint.h"
#include "model/init.h"
#include "pipeline/native.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/version.h"

namespace murmur::experiment {

namespace {

const char* const kObjective = "contrastive: NT-Xent over two augmented windows of each recording (SimCLR, COLA)";

// What the file keeps: the trunk (what --init hands on) and the projection head (to resume).
model::StateDict saved_state(const torch::nn::Module& net, const torch::nn::Module& head) {
  model::StateDict sd;
  for (const auto& item : model::state_dict(net))
    if (item.key().rfind("trunk.", 0) == 0) sd.insert(item.key(), item.value().detach().clone());
  for (const auto& item : model::state_dict(head)) sd.insert("projection." + item.key(), item.value().detach().clone());
  return sd;
}

}  // namespace

nlohmann::json pretrain_run(const PretrainRunOptions& o) {
  o.pretrain.validate();
  const auto* native = dynamic_cast<const pipeline::NativePreset*>(o.preset.get());
  if (!native) throw Error("pretrain: preset " + o.preset->name() + " has no native trunk (use native, valves or pooled)");
  if (native->native.cycle_weight > 0)
    throw Error("pretrain: native.cycle_weight: the heart-cycle head is not pretrained; leave it 0 here and set it when "
                "fine-tuning");
  const std::string model_path = o.out_dir + "/model.pth";
  const nlohmann::json recipe = o.pretrain;
  auto same_recipe = [&](nlohmann::json saved) {  // the epochs may grow when resuming
    if (saved.is_object()) saved["epochs"] = recipe["epochs"];
    return saved == recipe;
  };

  const LoadedSet set = load_dataset(o.data, *o.preset);
  std::vector<torch::Tensor> recordings;  // whole, unpadded: the windows are cut within each
  for (const auto* list : {&set.stored, &set.extra_stored}) recordings.insert(recordings.end(), list->begin(), list->end());
  if (recordings.size() < 2) throw Error("pretrain: " + o.data.data_dir + ": fewer than 2 usable recordings");
  const int64_t n_recordings = int64_t(recordings.size());

  torch::manual_seed(o.pretrain.seed);
  auto network = native->make_network();
  auto* net = dynamic_cast<model::NativeNetImpl*>(network.module.get());
  if (!net) throw Error("pretrain: preset " + o.preset->name() + " has no native trunk");
  auto head = train::projection_head(4 * native->net.width, o.pretrain);

  nlohmann::json history = nlohmann::json::array();
  int done = 0;
  if (o.resume && std::filesystem::exists(model_path)) {
    const model::Checkpoint ck = model::read_checkpoint(model_path);
    if (!same_recipe(ck.provenance.value("pretrain", nlohmann::json())) ||
        ck.provenance.value("dataset_fingerprint", "") != set.fingerprint || ck.murmur_config != o.preset->to_json())
      throw Error("--resume: " + model_path + " was pretrained with other settings or data; use another -o");
    model::init_from(*net, ck.state_dict, model_path);
    model::StateDict head_sd;
    for (const auto& item : ck.state_dict)
      if (item.key().rfind("projection.", 0) == 0) head_sd.insert(item.key().substr(11), item.value());
    model::init_from(*head, head_sd, model_path);
    done = int(ck.epoch);
    history = ck.provenance.value("history", history);
  }
  std::filesystem::create_directories(o.out_dir);
  const auto on_epoch = [&](const train::PretrainEpoch& e) {
    history.push_back(e);
    model::Checkpoint ck;
    ck.state_dict = saved_state(*net, *head);
    ck.epoch = e.epoch;
    ck.preset = o.preset->name();
    ck.murmur_config = o.preset->to_json();
    ck.provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                     {"sources", set.sources()}, {"recordings", n_recordings}, {"objective", kObjective},
                     {"pretrain", recipe}, {"history", history}};
    model::write_checkpoint(model_path, ck);  // atomic: a killed run resumes from the last epoch
    if (!o.data.quiet)
      std::cerr << "pretrain epoch " << e.epoch << "/" << o.pretrain.epochs << ": loss " << e.loss << ", twin nearest "
                << e.positive_rank1 << " (" << e.seconds << " s)\n";
  };
  const auto view = [&](const torch::Tensor& windows) { return native->augment(windows); };
  if (done < o.pretrain.epochs)
    train::pretrain_trunk(*net, recordings, native->frames_per_window(), view, o.pretrain, head, done, on_epoch);
  nlohmann::json summary = {{"model", model_path},       {"preset", o.preset->name()}, {"recordings", n_recordings},
                            {"sources", set.sources()},    {"skipped", set.skipped.size()}, {"objective", kObjective},
                            {"pretrain", recipe},          {"history", history},
                            {"dataset_fingerprint", set.fingerprint}, {"murmur_commit", util::git_commit()}};
  util::write_file_atomic(o.out_dir + "/pretrain.json", util::json_text(summary, 1) + "\n");
  return summary;
}

}  // namespace murmur::experiment
