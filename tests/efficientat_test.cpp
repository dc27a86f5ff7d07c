// murmur's EfficientAT encoder against golden numbers from an independent Python definition
// (tools/make_efficientat_golden.py), and the state-dict reader that loads published weights.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "model/checkpoint.h"
#include "model/efficientat.h"
#include "pipeline/registry.h"
#include "test_util.h"
#include "util/error.h"

namespace {

using murmur::model::EfficientAt;

nlohmann::json golden() {
  std::ifstream in(murmur::test::data_path("efficientat/golden.json"));
  return nlohmann::json::parse(in);
}

torch::Tensor clip_pcm(const nlohmann::json& clip) {
  auto a = murmur::audio::load(murmur::test::data_path("efficientat/" + clip["wav"].get<std::string>()));
  EXPECT_EQ(a.sample_rate_hz, 32000);
  return torch::tensor(a.samples);
}

double max_abs_diff(const torch::Tensor& a, const std::vector<float>& b) {
  return (a.flatten() - torch::tensor(b)).abs().max().item<double>();
}

std::vector<float> flat(const nlohmann::json& rows) {
  std::vector<float> out;
  for (const auto& r : rows)
    for (float v : r) out.push_back(v);
  return out;
}

std::string encoder_path() {
  const std::string s = murmur::test::shared_dir();
  const std::string p = s + "/models/efficientat_mn04_as.pt";
  return !s.empty() && std::filesystem::exists(p) ? p : "";
}

TEST(EfficientAt, WidthRoundingAndSizeAreMn04s) {
  EXPECT_EQ(murmur::model::efficientat_channels(16, 0.4), 8);
  EXPECT_EQ(murmur::model::efficientat_channels(72, 0.4), 32);
  EXPECT_EQ(murmur::model::efficientat_channels(960, 0.4), 384);
  EXPECT_EQ(murmur::model::efficientat_channels(1280, 0.4), 512);
  EfficientAt net;
  int64_t n = 0;
  for (const auto& item : murmur::model::state_dict(*net)) n += item.value().numel();
  EXPECT_EQ(n, 993485);  // the published count: parameters and BatchNorm statistics
  EXPECT_EQ(net->embedding_size(), 384);
  EXPECT_EQ(net->output_layer(), "classifier.5.");  // the published file's name for the AudioSet layer
  auto [logits, emb] = net->forward(torch::zeros({2, 1, 128, 100}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 527}));
  EXPECT_EQ(emb.sizes(), (std::vector<int64_t>{2, 384}));
  EXPECT_THROW(net->forward(torch::zeros({1, 128, 100})), murmur::Error);
}

TEST(EfficientAt, MelBanksAndFrontendMatchGolden) {
  const auto g = golden();
  const auto banks = murmur::model::kaldi_mel_banks({});
  ASSERT_EQ(banks.sizes(), (std::vector<int64_t>{128, 513}));
  for (auto& [row, values] : g["banks_rows"].items())
    EXPECT_LT(max_abs_diff(banks[std::stoi(row)], values.get<std::vector<float>>()), 1e-6) << "row " << row;
  for (const auto& clip : g["clips"]) {
    auto mel = murmur::model::efficientat_mel(clip_pcm(clip));
    ASSERT_EQ(mel.size(1), clip["mel_shape"][0].get<int64_t>());
    ASSERT_EQ(mel.size(2), clip["mel_shape"][1].get<int64_t>());
    auto every16 = mel[0].index({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 16)});
    EXPECT_LT(max_abs_diff(every16, flat(clip["mel_every_16th_frame"])), 1e-4)
        << clip["wav"];
  }
  EXPECT_THROW(murmur::model::efficientat_mel(torch::zeros({100})), murmur::Error);
}

TEST(EfficientAt, KeepBandsIsTheLowestBandsOfTheFullFrontend) {
  const auto pcm = clip_pcm(golden()["clips"][0]);
  murmur::model::EfficientAtMelConfig low;
  low.keep_bands = 56;
  const auto full = murmur::model::efficientat_mel(pcm), kept = murmur::model::efficientat_mel(pcm, low);
  ASSERT_EQ(kept.size(1), 56);
  EXPECT_TRUE(torch::equal(kept, full.slice(1, 0, 56)));
  // The preset: a setting (--set efficientat.keep_bands=56), in the feature key, checked.
  auto preset = murmur::pipeline::with_overrides(*murmur::pipeline::make_preset("efficientat"),
                                                 {"efficientat.keep_bands=56", "train.init="});
  murmur::audio::Audio a{std::vector<float>(pcm.data_ptr<float>(), pcm.data_ptr<float>() + pcm.numel()), 32000, 32000, 1};
  const auto x = preset->features(a);
  EXPECT_EQ(x.size(1), 56);
  EXPECT_EQ(preset->feature_json()["keep_bands"], 56);
  EXPECT_FALSE(murmur::pipeline::make_preset("efficientat")->feature_json().contains("keep_bands"));
  auto net = preset->make_network();
  net.module->eval();
  EXPECT_EQ(net.forward(x.unsqueeze(0)).size(1), 5);
  EXPECT_THROW(murmur::pipeline::with_overrides(*preset, {"efficientat.keep_bands=20"}), murmur::Error);
}

TEST(EfficientAt, PublishedWeightsGiveGoldenLogits) {
  const std::string path = encoder_path();
  if (path.empty()) GTEST_SKIP() << "../shared/models/efficientat_mn04_as.pt is absent: skipping the golden logits";
  torch::NoGradGuard no_grad;
  EfficientAt net;
  murmur::model::load_into(*net, murmur::model::read_state_dict(path), path);  // strict: every key, every shape
  net->eval();
  const auto g = golden();  // kept alive: the loop below ranges over a part of it
  for (const auto& clip : g["clips"]) {
    auto [logits, emb] = net->forward(murmur::model::efficientat_mel(clip_pcm(clip)).unsqueeze(0));
    EXPECT_LT(max_abs_diff(logits, clip["logits"].get<std::vector<float>>()), 1e-4) << clip["wav"];
    EXPECT_LT(max_abs_diff(emb, clip["embedding"].get<std::vector<float>>()), 1e-4) << clip["wav"];
    auto top = std::get<1>(logits[0].topk(3));
    EXPECT_EQ(std::vector<int64_t>(top.data_ptr<int64_t>(), top.data_ptr<int64_t>() + 3),
              clip["top3"].get<std::vector<int64_t>>())
        << clip["wav"];  // the heart sound's first two: "Heart sounds, heartbeat", "Heart murmur"
  }
}

TEST(EfficientAt, StateDictReaderTakesPlainAndWrappedDicts) {
  const std::string dir = murmur::test::temp_dir("state_dict_reader");
  EfficientAt net;
  murmur::model::Checkpoint ck;
  ck.state_dict = murmur::model::state_dict(*net);
  ck.label_to_idx = {{"x", 0}};
  murmur::model::write_checkpoint(dir + "/wrapped.pth", ck);
  auto sd = murmur::model::read_state_dict(dir + "/wrapped.pth");
  EXPECT_EQ(sd.keys(), ck.state_dict.keys());
  EXPECT_TRUE(torch::equal(sd["classifier.5.weight"], ck.state_dict["classifier.5.weight"]));
  murmur::model::write_tensor_file(dir + "/tensor.pt", torch::zeros({3}));
  try {
    murmur::model::read_state_dict(dir + "/tensor.pt");
    ADD_FAILURE() << "a single tensor was read as a state dict";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor.pt: not a state dict"), std::string::npos) << e.what();
  }
  if (const std::string path = encoder_path(); !path.empty())
    EXPECT_EQ(murmur::model::read_state_dict(path).size(), 312u);  // the published file: a plain dict
}

}  // namespace
