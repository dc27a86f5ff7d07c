#include "experiment/pretrain_run.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>

#include "model/checkpoint.h"
#include "model/efficientat.h"
#include "model/init.h"
#include "pipeline/native.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/version.h"

namespace murmur::experiment {

namespace {

const char* const kObjective = "contrastive: NT-Xent over two augmented windows of each recording (SimCLR, COLA)";

// What pretraining trains of a preset's network, and what its file keeps (what --init hands on).
struct Encoder {
  train::TensorFn embed;  // views [2B, C, F, T] -> [2B, channels]: the feature map averaged
  int64_t channels = 0;
  std::function<bool(const std::string&)> kept;
};

Encoder encoder_of(const pipeline::NativePreset& preset, torch::nn::Module& module) {
  if (auto* net = dynamic_cast<model::NativeNetImpl*>(&module))
    return {[net](const torch::Tensor& v) { return net->trunk(v).mean({2, 3}); }, 4 * preset.net.width,
            [](const std::string& key) { return key.rfind("trunk.", 0) == 0; }};
  if (auto* net = dynamic_cast<model::EfficientAtImpl*>(&module))  // all but the output layer: its size is the task's
    return {[net](const torch::Tensor& v) { return net->feature_map(v).mean({2, 3}); }, net->embedding_size(),
            [output = net->output_layer()](const std::string& key) { return key.rfind(output, 0) != 0; }};
  throw Error("pretrain: preset " + preset.name() + " has no trunk to pretrain");
}

model::StateDict saved_state(const torch::nn::Module& net, const Encoder& encoder, const torch::nn::Module& head) {
  model::StateDict sd;
  for (const auto& item : model::state_dict(net))
    if (encoder.kept(item.key())) sd.insert(item.key(), item.value().detach().clone());
  for (const auto& item : model::state_dict(head)) sd.insert("projection." + item.key(), item.value().detach().clone());
  return sd;
}

}  // namespace

nlohmann::json pretrain_run(const PretrainRunOptions& o) {
  o.pretrain.validate();
  const auto* native = dynamic_cast<const pipeline::NativePreset*>(o.preset.get());
  if (!native)
    throw Error("pretrain: preset " + o.preset->name() +
                " has no trunk to pretrain (use native, valves, pooled or an efficientat preset)");
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
  const std::set<std::string> excluded(o.exclude_sources.begin(), o.exclude_sources.end());
  const std::vector<std::string> known = set.sources();
  for (const auto& s : excluded)
    if (std::find(known.begin(), known.end(), s) == known.end())
      throw Error("pretrain --exclude-source: " + o.data.data_dir + " has no source '" + s + "' (its sources: " +
                  set.sources_text() + ")");
  std::vector<torch::Tensor> recordings;  // whole, unpadded: the windows are cut within each
  std::set<std::string> used_sources;
  auto take = [&](const std::vector<data::Recording>& list, const std::vector<torch::Tensor>& stored) {
    for (size_t i = 0; i < list.size(); ++i)
      if (!excluded.count(list[i].source)) recordings.push_back(stored[i]), used_sources.insert(list[i].source);
  };
  take(set.recordings, set.stored);
  take(set.extra, set.extra_stored);
  if (recordings.size() < 2)
    throw Error("pretrain: " + o.data.data_dir + ": fewer than 2 recordings preset " + o.preset->name() +
                " trains on (pooled and efficientat-pooled take every labelled recording of every source)");
  const int64_t n_recordings = int64_t(recordings.size());

  torch::manual_seed(o.pretrain.seed);
  auto network = native->make_network();
  torch::nn::Module& net = *network.module;
  const Encoder encoder = encoder_of(*native, net);
  auto head = train::projection_head(encoder.channels, o.pretrain);
  const std::string& init = o.preset->train.init;  // the start, when set (efficientat*: AudioSet's weights)

  nlohmann::json history = nlohmann::json::array();
  int done = 0;
  if (o.resume && std::filesystem::exists(model_path)) {
    const model::Checkpoint ck = model::read_checkpoint(model_path);
    if (!same_recipe(ck.provenance.value("pretrain", nlohmann::json())) ||
        ck.provenance.value("dataset_fingerprint", "") != set.fingerprint || ck.murmur_config != o.preset->to_json() ||
        ck.provenance.value("excluded_sources", nlohmann::json::array()) != nlohmann::json(excluded))
      throw Error("--resume: " + model_path + " was pretrained with other settings or data; use another -o");
    model::init_from(net, ck.state_dict, model_path);
    model::StateDict head_sd;
    for (const auto& item : ck.state_dict)
      if (item.key().rfind("projection.", 0) == 0) head_sd.insert(item.key().substr(11), item.value());
    model::init_from(*head, head_sd, model_path);
    done = int(ck.epoch);
    history = ck.provenance.value("history", history);
  } else if (!init.empty()) {
    const auto report = model::init_from(net, model::read_state_dict(init), init);
    if (!o.data.quiet) std::cerr << report.summary(init) << "\n";
  }
  std::filesystem::create_directories(o.out_dir);
  const auto on_epoch = [&](const train::PretrainEpoch& e) {
    history.push_back(e);
    model::Checkpoint ck;
    ck.state_dict = saved_state(net, encoder, *head);
    ck.epoch = e.epoch;
    ck.preset = o.preset->name();
    ck.murmur_config = o.preset->to_json();
    ck.provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                     {"sources", used_sources}, {"excluded_sources", excluded},
                     {"recordings", n_recordings}, {"objective", kObjective},
                     {"init", init},
                     {"pretrain", recipe}, {"history", history}};
    model::write_checkpoint(model_path, ck);  // atomic: a killed run resumes from the last epoch
    if (!o.data.quiet)
      std::cerr << "pretrain epoch " << e.epoch << "/" << o.pretrain.epochs << ": loss " << e.loss << ", twin nearest "
                << e.positive_rank1 << " (" << e.seconds << " s)\n";
  };
  const auto view = [&](const torch::Tensor& windows) { return native->augment(windows); };
  if (done < o.pretrain.epochs)
    train::pretrain_trunk(net, encoder.embed, recordings, native->frames_per_window(), view, o.pretrain, head, done, on_epoch);
  nlohmann::json summary = {{"model", model_path},       {"preset", o.preset->name()}, {"recordings", n_recordings},
                            {"sources", used_sources},     {"excluded_sources", excluded},
                            {"skipped", set.skipped.size()}, {"objective", kObjective},
                            {"init", init},
                            {"pretrain", recipe},          {"history", history},
                            {"dataset_fingerprint", set.fingerprint}, {"murmur_commit", util::git_commit()}};
  util::write_file_atomic(o.out_dir + "/pretrain.json", util::json_text(summary, 1) + "\n");
  return summary;
}

}  // namespace murmur::experiment
