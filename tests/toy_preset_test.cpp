// A third preset is one file plus one registration: this test-only preset ("toy": mean log-mel
// band energies into a two-layer perceptron) trains, cross-validates, saves, loads and predicts
// through exactly the paths the shipped presets use (experiment::train_run, cv_run,
// pipeline::Predictor), with no change anywhere else.
#include <gtest/gtest.h>

#include <filesystem>

#include "experiment/cv_run.h"
#include "experiment/train_run.h"
#include "pipeline/predictor.h"
#include "pipeline/registry.h"
#include "synth/synth.h"
#include "test_util.h"
#include "util/check.h"
#include "util/fs.h"

namespace mp = murmur::pipeline;
namespace mx = murmur::experiment;

namespace {

class ToyPreset : public mp::Preset {
 public:
  int hidden = 8;  // --set toy.hidden=N

  ToyPreset() {
    audio.target_rate_hz = 4000;
    log_mel.sample_rate_hz = 4000;
    log_mel.n_fft = 256;
    log_mel.hop = 128;
    log_mel.n_mels = 8;
    log_mel.fmin_hz = 25;
    log_mel.fmax_hz = 800;
    train.epochs = 3;
    train.batch_size = 32;
    train.stop_at_val_acc = 1.01;
    train.collapse_after_epoch = 0;
  }
  std::string name() const override { return "toy"; }
  std::unique_ptr<mp::Preset> clone() const override { return std::make_unique<ToyPreset>(*this); }
  nlohmann::json feature_json() const override { return {{"preset", name()}, {"log_mel", log_mel}}; }
  torch::Tensor features(const murmur::audio::Audio& a) const override {
    check_rate(a);
    auto db = murmur::features::log_mel(a.samples, log_mel);
    auto t = torch::from_blob(db.data.data(), {1, db.rows, db.cols}, torch::kFloat).clone();
    return (t - t.mean()) / (t.std() + 1e-5);
  }
  torch::Tensor train_views(const torch::Tensor& stored) const override { return stored.mean(2); }  // [1, F]
  torch::Tensor augment(const torch::Tensor& batch) const override { return batch; }
  mp::Network make_network() const override {
    torch::nn::Sequential net(torch::nn::Linear(log_mel.n_mels, hidden), torch::nn::ReLU(), torch::nn::Linear(hidden, 5));
    return {net.ptr(), [net](const torch::Tensor& x) mutable { return net->forward(x); }};
  }
  torch::Tensor recording_probs(const mp::Network& n, const torch::Tensor& stored) const override {
    torch::NoGradGuard no_grad;
    n.module->eval();
    return torch::softmax(n.forward(train_views(stored)), 1)[0];
  }

 protected:
  nlohmann::json own_json() const override { return {{"toy", {{"hidden", hidden}}}}; }
  void own_from_json(const nlohmann::json& j) override {
    if (j.contains("toy")) hidden = j["toy"].value("hidden", hidden);
  }
  void validate_own() const override { murmur::util::check_setting(hidden >= 1, "toy.hidden", "must be >= 1", hidden); }
};

// The one registration line.
const bool registered = (mp::register_preset("toy", [] { return std::make_unique<ToyPreset>(); }), true);

const std::string& toy_data() {
  static const std::string dir = [] {
    std::string d = murmur::test::temp_dir("toy_preset");
    murmur::synth::SynthConfig sc;
    sc.n_patients = 20;
    sc.seed = 5;
    sc.duration_s = 6;
    murmur::synth::write_synthetic_dataset(d + "/data", sc);
    return d;
  }();
  return dir;
}

}  // namespace

TEST(ToyPreset, IsRegisteredAndConfigurable) {
  ASSERT_TRUE(registered);
  auto names = mp::preset_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "toy"), names.end());
  auto p = mp::with_overrides(*mp::make_preset("toy"), {"toy.hidden=4", "train.epochs=2"});
  EXPECT_EQ(p->to_json()["toy"]["hidden"], 4);
  try {
    mp::with_overrides(*p, {"toy.hidden=0"});
    FAIL() << "toy.hidden=0 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("toy.hidden: ", 0), 0u) << e.what();
  }
}

TEST(ToyPreset, TrainsSavesLoadsAndPredictsThroughTheSharedPaths) {
  torch::set_num_threads(1);
  mx::TrainRunOptions o;
  o.preset = mp::make_preset("toy");
  o.data = {toy_data() + "/data", toy_data() + "/cache", /*quiet=*/true, /*threads=*/2};
  o.out_dir = toy_data() + "/model";
  auto summary = mx::train_run(o);
  EXPECT_EQ(summary["preset"], "toy");
  EXPECT_EQ(summary["history"].size(), 3u);

  auto predictor = mp::Predictor::open(o.out_dir + "/model.pth");
  EXPECT_EQ(predictor.preset().name(), "toy");
  EXPECT_EQ(predictor.preset().to_json(), o.preset->to_json());
  auto probs = predictor.predict_file(toy_data() + "/data/train/N_001_sit_Aor.wav");
  ASSERT_EQ(probs.numel(), 5);
  EXPECT_NEAR(probs.sum().item<double>(), 1.0, 1e-5);
  EXPECT_THROW(predictor.predict_file(murmur::test::data_path("seed_image/synth_6x400.png")), murmur::Error);

  auto ev = mx::evaluate_run(o.out_dir + "/model.pth", o.data);
  EXPECT_EQ(ev["preset"], "toy");
  EXPECT_TRUE(ev["metrics"]["patient"].contains("balanced_accuracy"));
}

TEST(ToyPreset, CrossValidatesAndEnsemblesThroughTheSharedPaths) {
  torch::set_num_threads(1);
  mx::CvOptions o;
  o.preset = mp::make_preset("toy");
  o.data = {toy_data() + "/data", toy_data() + "/cache", /*quiet=*/true, /*threads=*/2};
  o.run_dir = toy_data() + "/cv";
  o.folds = 2;
  o.bootstrap.n_resamples = 50;
  auto report = mx::cv_run(o);
  ASSERT_TRUE(report.contains("metrics")) << report.dump();
  EXPECT_EQ(report["metrics"]["n_patients"], 20);
  EXPECT_EQ(report["metrics"]["patient_fusion"], "mean");
  EXPECT_TRUE(std::filesystem::exists(o.run_dir + "/report.html"));
  // The shift bench runs any single-label preset: every test recording again under each shift.
  const auto& shifts = report["shifts"];
  ASSERT_TRUE(shifts.is_object()) << "the shift bench runs any single-label preset";
  ASSERT_GE(shifts["shifts"].size(), 24u) << "every shift but the clips longer than the recordings";
  EXPECT_EQ(shifts["shifts"][0]["name"], "stethoscope extended");
  EXPECT_EQ(shifts["clean"]["n_rows"], report["metrics"]["n_recordings"]);
  for (const auto& s : shifts["shifts"]) EXPECT_TRUE(s["patient"].contains("value")) << s["name"];
  EXPECT_TRUE(std::filesystem::exists(o.run_dir + "/repeat0/fold0/shifts.csv"));
  EXPECT_NE(murmur::util::read_file(o.run_dir + "/report.html").find("Shift bench: other stethoscopes"), std::string::npos);
  auto ensemble = mp::Predictor::open(o.run_dir);
  EXPECT_EQ(ensemble.n_models(), 2u);
  EXPECT_EQ(ensemble.predict_file(toy_data() + "/data/train/N_001_sup_Mit.wav").numel(), 5);
}
