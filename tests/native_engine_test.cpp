// LibTorch-free inference (infer/) against LibTorch's (pipeline::Predictor) on every kind of
// native-family model and on seed models (murmur's and the reference's own checkpoint): the same
// probabilities within 1e-5, and the models it leaves to LibTorch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "data/recording.h"
#include "infer/native_predictor.h"
#include "infer/seed_predictor.h"
#include "model/checkpoint.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "pipeline/registry.h"
#include "synth/synth.h"
#include "util/fs.h"
#include "test_util.h"

namespace {

namespace mp = murmur::pipeline;

// A freshly initialised model of `preset` with BatchNorm statistics drawn at random (so that
// folding them matters), saved as DIR/model.pth; `members` > 1 saves an ensemble file.
std::string save_model(const mp::PresetPtr& preset, const std::string& dir, int members = 1, uint64_t seed = 0) {
  std::filesystem::create_directories(dir);
  murmur::model::Checkpoint ck;
  for (int k = 0; k < members; ++k) {
    torch::manual_seed(seed + uint64_t(k));
    auto m = mp::Model::fresh(preset);
    auto sd = murmur::model::state_dict(*m.net.module);
    torch::NoGradGuard no_grad;
    for (auto& item : sd) {
      const std::string& key = item.key();
      torch::Tensor t = item.value();
      if (key.find("running_mean") != std::string::npos) t.uniform_(-0.5, 0.5);
      else if (key.find("running_var") != std::string::npos) t.uniform_(0.5, 2.0);
      else if ((key.rfind("trunk.", 0) == 0 || key.rfind("features.", 0) == 0) && t.dim() == 1)
        t.uniform_(0.5, 1.5);  // gamma, beta (and the seed's convolution biases)
    }
    if (members == 1) ck.state_dict = sd;
    else murmur::model::add_member_state(ck.state_dict, sd, k);
  }
  ck.n_members = members;
  const auto names = preset->output_names();
  for (size_t i = 0; i < names.size(); ++i) ck.label_to_idx[names[i]] = int64_t(i);
  ck.class_names = names;
  ck.murmur_config = preset->to_json();
  const std::string path = dir + "/model.pth";
  murmur::model::write_checkpoint(path, ck);
  return path;
}

murmur::audio::Audio recording(const std::string& cls, int rate_hz, double seconds, uint64_t seed) {
  murmur::synth::SynthConfig cfg;
  cfg.duration_s = std::max(seconds, 2.0);  // synth's shortest; cut after
  cfg.sample_rate_hz = rate_hz;
  auto x = murmur::synth::synth_recording(murmur::data::class_index(cls), "Aor", "sit",
                                          murmur::synth::draw_patient(1, 0), seed, cfg);
  x.resize(size_t(seconds * rate_hz));
  return murmur::audio::from_samples(x.data(), x.size(), rate_hz, "synth " + cls);
}

// Both sides' explanations of one recording: the same classes, phases and occluded answers, or
// both refusing it.
void expect_same_explanation(const mp::Predictor& torch_side, const murmur::infer::NativePredictor& native,
                             const murmur::audio::Audio& a, const std::string& what) {
  std::optional<mp::Explanation> expected;
  std::string refused;
  try {
    expected = mp::explain(torch_side, a);
  } catch (const murmur::Error& e) {
    refused = e.what();
  }
  if (!expected) {
    EXPECT_THROW(native.explain(a), murmur::Error) << what << ": LibTorch's side refused it: " << refused;
    return;
  }
  const auto got = native.explain(a);
  EXPECT_EQ(got.explained, expected->explained) << what;
  ASSERT_EQ(got.all.size(), expected->all.size()) << what;
  for (size_t k = 0; k < got.all.size(); ++k) {
    const auto &g = got.all[k], &e = expected->all[k];
    EXPECT_NEAR(g.p, e.p, 1e-5) << what << " " << e.cls;
    EXPECT_NEAR(g.p_without_systole, e.p_without_systole, 1e-5) << what << " " << e.cls;
    EXPECT_NEAR(g.p_without_diastole, e.p_without_diastole, 1e-5) << what << " " << e.cls;
    ASSERT_EQ(g.bands.size(), e.bands.size());
    for (size_t b = 0; b < g.bands.size(); ++b) EXPECT_NEAR(g.bands[b].p_without, e.bands[b].p_without, 1e-5) << what;
    EXPECT_EQ(g.phase, e.phase) << what << " " << e.cls;
  }
  EXPECT_EQ(got.heart_rate_bpm, expected->heart_rate_bpm) << what;
}

// Both predictors on a few recordings (several lengths and rates): equal within 1e-5, and so
// are their explanations and their description (info) of the model.
void expect_same_answers(const std::string& model_path) {
  torch::set_num_threads(1);
  auto torch_side = mp::Predictor::open(model_path);
  std::string why;
  auto native = murmur::infer::NativePredictor::open(model_path, &why);
  ASSERT_TRUE(native.has_value()) << why;
  EXPECT_EQ(native->class_names(), torch_side.class_names());
  EXPECT_EQ(native->n_models(), torch_side.n_models());
  EXPECT_EQ(native->preset_name(), torch_side.preset().name());
  EXPECT_EQ(native->patient_fusion(), torch_side.preset().patient_fusion());
  const auto t = torch_side.thresholds();
  ASSERT_EQ(native->thresholds().size(), t.size());
  for (size_t k = 0; k < t.size(); ++k) EXPECT_FLOAT_EQ(native->thresholds()[k], t[k]);
  for (const char* key : {"class_names", "n_models", "patient_fusion", "thresholds"})
    EXPECT_EQ(native->info().value(key, nlohmann::json()), torch_side.info().value(key, nlohmann::json())) << key;
  ASSERT_EQ(native->info()["models"].size(), torch_side.info()["models"].size());
  EXPECT_EQ(native->info()["models"][0], torch_side.info()["models"][0]);
  EXPECT_EQ(native->info()["preset"], torch_side.info()["preset"]);
  int n = 0;
  for (const auto& [cls, rate, seconds] : std::vector<std::tuple<std::string, int, double>>{
           {"AS", 4000, 20}, {"MR", 4000, 7.3}, {"N", 2000, 12}, {"AR", 4000, 2.5}, {"MS", 8000, 1.2}}) {
    const auto a = recording(cls, rate, seconds, uint64_t(++n));
    const torch::Tensor expected = torch_side.predict_audio(a).to(torch::kFloat).contiguous();
    const std::vector<float> got = native->predict_audio(a);
    ASSERT_EQ(got.size(), size_t(expected.numel()));
    for (size_t k = 0; k < got.size(); ++k)
      EXPECT_NEAR(got[k], expected[int64_t(k)].item<float>(), 1e-5) << model_path << ": " << cls << " " << rate
                                                                     << " Hz " << seconds << " s, output " << k;
    if (n <= 2 || seconds < 2) expect_same_explanation(torch_side, *native, a, model_path + ": " + cls);
  }
}

TEST(NativeEngine, EqualsLibTorchOnEveryNativeFamilyModel) {
  const std::string dir = murmur::test::temp_dir("native_engine");
  expect_same_answers(save_model(mp::make_preset("native"), dir + "/native"));
  expect_same_answers(save_model(mp::make_preset("valves"), dir + "/valves"));
  expect_same_answers(save_model(mp::make_preset("pooled"), dir + "/pooled", /*members=*/3));
  // Older settings: bands not centred, and a calibrated temperature; wider and with phase channels.
  auto old = mp::with_overrides(*mp::make_preset("native"), {"native.centre_bands=false", "log_mel.fft=kissfft"})->clone();
  old->temperature = 1.7;
  expect_same_answers(save_model(std::move(old), dir + "/calibrated"));
  expect_same_answers(save_model(mp::with_overrides(*mp::make_preset("valves"),
                                                    {"native.phase_channels=true", "net.width=8", "native.window_s=3"}),
                                 dir + "/phase"));
  // A heart-cycle head (training only): in the file, unused by either side's answers.
  expect_same_answers(save_model(mp::with_overrides(*mp::make_preset("pooled"), {"native.cycle_weight=0.5"}),
                                 dir + "/cycle"));
}

TEST(NativeEngine, AFoldEnsembleFolderIsTheMeanOfItsModels) {
  const std::string dir = murmur::test::temp_dir("native_engine_cv");
  save_model(mp::make_preset("native"), dir + "/fold_0", 1, 10);
  save_model(mp::make_preset("native"), dir + "/fold_1", 1, 20);
  expect_same_answers(dir);
}

TEST(NativeEngine, LeavesOtherModelsToLibTorchAndSaysWhy) {
  const std::string dir = murmur::test::temp_dir("native_engine_other");
  std::string why;
  EXPECT_FALSE(murmur::infer::NativePredictor::open(save_model(mp::make_preset("seed"), dir + "/seed"), &why));
  EXPECT_NE(why.find("preset seed"), std::string::npos) << why;
  EXPECT_FALSE(murmur::infer::NativePredictor::open(dir + "/missing.pth", &why));
  EXPECT_NE(why.find("missing.pth"), std::string::npos) << why;
  // A fold of another preset in a cv folder: the ensemble is LibTorch's to refuse.
  save_model(mp::make_preset("native"), dir + "/mixed/fold_0");
  save_model(mp::make_preset("valves"), dir + "/mixed/fold_1");
  EXPECT_FALSE(murmur::infer::NativePredictor::open(dir + "/mixed", &why));
  EXPECT_NE(why.find("differ"), std::string::npos) << why;
}

TEST(NativeEngine, RefusesWeightsThatDoNotFitNamingTheKey) {
  const std::string dir = murmur::test::temp_dir("native_engine_keys");
  const std::string path = save_model(mp::make_preset("native"), dir);
  const auto ck = murmur::model::read_saved_checkpoint(path);
  murmur::model::NativeNetConfig cfg;
  cfg.width = 8;  // the file's is 16
  try {
    murmur::infer::NativeEngine(ck.state, cfg, "", path);
    FAIL() << "a width-8 network took width-16 weights";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("trunk.0.weight: shape [16, 1, 3, 3] in the state dict, [8, 1, 3, 3]"),
              std::string::npos) << e.what();
  }
  auto without = ck.state;  // load_into requires BatchNorm's step counter too
  without.erase(std::remove_if(without.begin(), without.end(),
                               [](const auto& kv) { return kv.first == "trunk.1.num_batches_tracked"; }),
                without.end());
  try {
    murmur::infer::NativeEngine(without, {}, "", path);
    FAIL() << "a state dict without trunk.1.num_batches_tracked was taken";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing key trunk.1.num_batches_tracked"), std::string::npos) << e.what();
  }
  auto state = ck.state;
  state.emplace_back("extra.weight", state.front().second);
  try {
    murmur::infer::NativeEngine(state, {}, "", path);
    FAIL() << "an unexpected key was taken";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected keys [extra.weight]"), std::string::npos) << e.what();
  }
}

// Both predictors of a seed model on recordings (several lengths and rates) and on pictures:
// equal within 1e-5; the same description of the model.
void expect_same_seed_answers(const std::string& model_path, const std::vector<std::string>& pictures = {}) {
  torch::set_num_threads(1);
  auto torch_side = mp::Predictor::open(model_path);
  std::string why;
  auto seed = murmur::infer::SeedPredictor::open(model_path, &why);
  ASSERT_TRUE(seed.has_value()) << why;
  EXPECT_EQ(seed->class_names(), torch_side.class_names());
  EXPECT_EQ(seed->n_models(), torch_side.n_models());
  EXPECT_EQ(seed->patient_fusion(), torch_side.preset().patient_fusion());
  for (const char* key : {"class_names", "n_models", "patient_fusion"})
    EXPECT_EQ(seed->info().value(key, nlohmann::json()), torch_side.info().value(key, nlohmann::json())) << key;
  EXPECT_EQ(seed->info()["models"], torch_side.info()["models"]);
  auto expect_near = [&](const std::vector<float>& got, const torch::Tensor& want, const std::string& what) {
    const torch::Tensor expected = want.to(torch::kFloat).contiguous();
    ASSERT_EQ(got.size(), size_t(expected.numel())) << what;
    for (size_t k = 0; k < got.size(); ++k)
      EXPECT_NEAR(got[k], expected[int64_t(k)].item<float>(), 1e-5) << model_path << ": " << what << ", output " << k;
  };
  int n = 0;
  for (const auto& [cls, rate, seconds] :
       std::vector<std::tuple<std::string, int, double>>{{"AS", 4000, 20}, {"MS", 4000, 3.5}, {"N", 2000, 9}}) {
    const auto a = recording(cls, rate, seconds, uint64_t(++n));
    expect_near(seed->predict_audio(a), torch_side.predict_audio(a), cls + " " + std::to_string(seconds) + " s");
  }
  for (const auto& png : pictures) expect_near(seed->predict_file(png), torch_side.predict_file(png), png);
}

TEST(SeedEngine, EqualsLibTorchOnSeedModels) {
  const std::string dir = murmur::test::temp_dir("seed_engine");
  // A picture as the reference drew it, and an RGB one.
  murmur::features::SeedImageConfig image;
  const auto a = recording("MR", murmur::features::kReferenceRateHz, 6, 7);
  auto db = murmur::features::log_mel(a.samples, murmur::features::LogMelConfig{});
  const auto picture = murmur::features::render_seed_image(db, image);
  murmur::features::write_png(dir + "/rgba.png", picture);
  murmur::features::write_png(dir + "/rgb.png", murmur::features::resize_bilinear_pil(picture, 300, 120));
  expect_same_seed_answers(save_model(mp::make_preset("seed"), dir + "/seed"), {dir + "/rgba.png"});
  expect_same_seed_answers(save_model(mp::with_overrides(*mp::make_preset("seed"), {"eval.views=2"}), dir + "/twin"),
                           {dir + "/rgb.png"});
  auto calibrated = mp::make_preset("seed")->clone();  // a fitted temperature: recordings and pictures alike
  calibrated->temperature = 1.7;
  expect_same_seed_answers(save_model(std::move(calibrated), dir + "/calibrated"), {dir + "/rgba.png"});
  save_model(mp::make_preset("seed"), dir + "/cv/fold_0", 1, 10);  // a cv folder: the folds' mean
  save_model(mp::make_preset("seed"), dir + "/cv/fold_1", 1, 20);
  expect_same_seed_answers(dir + "/cv");
  expect_same_seed_answers(save_model(mp::make_preset("seed"), dir + "/ensemble", /*members=*/2));
}

TEST(SeedEngine, ReferenceCheckpointGivesItsGoldenLogits) {
  MURMUR_REQUIRE_SHARED();
  const std::string ref = murmur::test::shared_dir() + "/reference/";
  const auto ck = murmur::model::read_saved_checkpoint(ref + "seed_model.pth");
  const murmur::infer::SeedEngine net(ck.state, 5, "", "seed_model.pth");
  const torch::Tensor x = murmur::model::read_tensor_file(ref + "random_input.pt").contiguous();
  const auto golden = nlohmann::json::parse(murmur::util::read_file(ref + "golden.json"));
  double worst = 0;
  for (int64_t i = 0; i < 2; ++i) {
    const float* p = x[i].data_ptr<float>();
    const auto z = net.logits(std::vector<float>(p, p + 3 * 224 * 224), 224, 224);
    const auto want = golden["random_input_logits"][size_t(i)].get<std::vector<float>>();
    ASSERT_EQ(z.size(), want.size());
    for (size_t k = 0; k < z.size(); ++k) worst = std::max(worst, double(std::abs(z[k] - want[k])));
  }
  std::cout << "[ measured ] oneDNN seed network: max |logit - golden| on random_input.pt: " << worst << "\n";
  EXPECT_LT(worst, 1e-4);
  std::vector<std::string> pictures;
  for (const auto& [name, expected] : golden["images"].items()) pictures.push_back(ref + "seed_spectrograms/" + name);
  expect_same_seed_answers(ref + "seed_model.pth", pictures);
}

TEST(SeedEngine, LeavesOtherModelsAndRefusesWeightsThatDoNotFit) {
  const std::string dir = murmur::test::temp_dir("seed_engine_other");
  std::string why;
  EXPECT_FALSE(murmur::infer::SeedPredictor::open(save_model(mp::make_preset("native"), dir + "/native"), &why));
  EXPECT_NE(why.find("preset native"), std::string::npos) << why;
  const auto ck = murmur::model::read_saved_checkpoint(save_model(mp::make_preset("seed"), dir + "/seed"));
  try {
    murmur::infer::SeedEngine(ck.state, 4, "", "x.pth");
    FAIL() << "a 4-class network took 5-class weights";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.pth: classifier.7.weight: shape [5, 64] in the state dict, [4, 64]"),
              std::string::npos) << e.what();
  }
  auto without = ck.state;
  without.erase(std::remove_if(without.begin(), without.end(), [](const auto& kv) { return kv.first == "features.0.bias"; }),
                without.end());
  EXPECT_THROW(murmur::infer::SeedEngine(without, 5, "", "x.pth"), murmur::Error);
}

}  // namespace
