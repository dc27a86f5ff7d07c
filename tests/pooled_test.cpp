// Preset pooled and leave-one-source-out: masked multi-label training (a source teaches only the
// labels it has), source-balanced sampling, cv --split source naming each held-out source, and
// cv --test-source (one source's patient folds with every other source in training), and each
// held-out source started from a pretraining without it (pretrain --exclude-source, --init '{source}').
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "eval/thresholds.h"
#include "experiment/cv_run.h"
#include "experiment/loso_run.h"
#include "experiment/pretrain_run.h"
#include "experiment/runs.h"
#include "model/checkpoint.h"
#include "model/init.h"
#include "pipeline/predictor.h"
#include "pipeline/registry.h"
#include "synth/synth.h"
#include "test_util.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace murmur;
namespace fs = std::filesystem;

TEST(Pooled, MaskedLossCountsOnlyKnownTargets) {
  torch::manual_seed(3);
  auto z = torch::randn({5, 3}).requires_grad_(true);
  auto t = torch::tensor({{1.f, -1.f, 0.f}, {0.f, -1.f, 1.f}, {-1.f, 1.f, 0.f}, {1.f, 0.f, -1.f}, {0.f, 0.f, 0.f}});
  auto w = torch::tensor({2.f, 1.f, 0.5f});
  auto loss = train::multilabel_loss(z, t, w);
  // By hand: the weighted BCE of each known entry, averaged over the 11 known entries.
  double sum = 0;
  int n = 0;
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t k = 0; k < 3; ++k) {
      const double y = t[i][k].item<double>(), x = z[i][k].item<double>();
      if (y < 0) continue;
      const double log_p = -std::log1p(std::exp(-x)), log_q = -std::log1p(std::exp(x));
      sum += -(w[k].item<double>() * y * log_p + (1 - y) * log_q);
      ++n;
    }
  EXPECT_EQ(n, 11);
  EXPECT_NEAR(loss.item<double>(), sum / n, 1e-5);
  loss.backward();
  auto g = z.grad();
  EXPECT_EQ(g[0][1].item<float>(), 0.f);  // an unknown target teaches nothing
  EXPECT_EQ(g[2][0].item<float>(), 0.f);
  EXPECT_NE(g[0][0].item<float>(), 0.f);
  // The summed form reports its count; with every target known it is LibTorch's own call, bit for bit.
  torch::Tensor count;
  EXPECT_NEAR(train::multilabel_loss(z.detach(), t, w, &count).item<double>(), sum, 1e-4);
  EXPECT_EQ(count.item<double>(), 11.0);
  auto known = t.clamp_min(0);
  auto plain = torch::nn::functional::binary_cross_entropy_with_logits(
      z.detach(), known, torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(w));
  EXPECT_TRUE(torch::equal(train::multilabel_loss(z.detach(), known, w), plain));
}

TEST(Pooled, WeightsAndAccuracyIgnoreUnknownTargets) {
  auto t = torch::tensor({{1.f, -1.f}, {0.f, -1.f}, {0.f, 1.f}, {-1.f, 0.f}, {-1.f, 0.f}});
  auto w = train::positive_weights(t);
  EXPECT_FLOAT_EQ(w[0].item<float>(), 2.f);  // 1 positive, 2 negatives known
  EXPECT_FLOAT_EQ(w[1].item<float>(), 2.f);  // 1 positive, 2 negatives known
  // Label 0 right on its three known rows, label 1 wrong on its positive: (1 + 0.5) / 2.
  auto z = torch::tensor({{5.f, 5.f}, {-5.f, 5.f}, {-5.f, -5.f}, {5.f, -5.f}, {5.f, -5.f}});
  EXPECT_DOUBLE_EQ(train::macro_balanced_accuracy(z, t), 0.75);
}

TEST(Pooled, TargetsAreWhatEachSourceSays) {
  const std::vector<std::string> outputs = pipeline::make_preset("pooled")->output_names();
  ASSERT_EQ(outputs, (std::vector<std::string>{"AR", "AS", "MR", "MS", "abnormal", "murmur"}));
  data::Recording bmd;  // an AS+MR patient of BMD-HS
  bmd.labels = {1, 2};
  bmd.abnormal = 1, bmd.murmur = 1;
  EXPECT_EQ(experiment::label_targets(bmd, outputs), (std::vector<float>{0, 1, 1, 0, 1, 1}));
  data::Recording physionet;  // normal / abnormal only
  physionet.source = "training-a", physionet.abnormal = 1;
  EXPECT_EQ(experiment::label_targets(physionet, outputs), (std::vector<float>{-1, -1, -1, -1, 1, -1}));
  data::Recording extrastole;  // PASCAL B: no murmur, abnormality not said
  extrastole.source = "pascal-b", extrastole.murmur = 0;
  EXPECT_EQ(experiment::label_targets(extrastole, outputs), (std::vector<float>{-1, -1, -1, -1, -1, 0}));
}

TEST(Pooled, BalancedCopiesEvenOutSources) {
  std::vector<std::string> sources(90, "big");
  sources.insert(sources.end(), 10, "small");
  auto none = experiment::balanced_copies(sources, 4, 0);
  EXPECT_EQ(none.front(), 4);
  EXPECT_EQ(none.back(), 4);
  // n^-0.5: 4 * 100 / (sqrt(n) * (sqrt(90) + sqrt(10))) = 3.33 and 10.0.
  auto sqrt_rule = experiment::balanced_copies(sources, 4, 0.5);
  EXPECT_EQ(sqrt_rule.front(), 3);
  EXPECT_EQ(sqrt_rule.back(), 10);
  // Power 1: each source draws half of the 400 examples.
  auto even = experiment::balanced_copies(sources, 4, 1);
  EXPECT_EQ(even.front(), 2);  // 200 / 90 = 2.2
  EXPECT_EQ(even.back(), 20);
  // At least one draw each: 98 recordings of "a" beside one of "b" and one of "c", power 1:
  // 100 / 3 / 98 = 0.34 would round to 0.
  std::vector<std::string> skewed(98, "a");
  skewed.push_back("b");
  skewed.push_back("c");
  auto floor = experiment::balanced_copies(skewed, 1, 1);
  EXPECT_EQ(floor.front(), 1);
  EXPECT_EQ(floor.back(), 33);
  // Labels balanced within each source: source x has 3 abnormal and 1 normal, y 1 and 1; with
  // power 0 and 4 per recording (24 copies in all), x's normal recording is drawn 8 times and its
  // abnormal ones 8 / 3 = 2.7 times each (rounded), y's two 4 times each.
  auto within = experiment::balanced_copies({"x", "x", "x", "x", "y", "y"}, 4, 0, {"1", "1", "1", "0", "1", "0"});
  EXPECT_EQ(within, (std::vector<int>{3, 3, 3, 8, 4, 4}));
}

TEST(Pooled, ThresholdsSkipPatientsWithoutTheLabel) {
  // Output 0 is known on p1, p2 only: (0.2 + 0.8) / 2. Counted as a negative, p3 would move the
  // threshold to (0.5 + 0.8) / 2.
  eval::Predictions val;
  auto row = [](const std::string& patient, float p, std::vector<int> labels, std::vector<int> unknown) {
    eval::Prediction r;
    r.file = patient + ".wav", r.patient = patient, r.probs = {p};
    r.true_labels = std::move(labels), r.unknown_labels = std::move(unknown);
    return r;
  };
  val.push_back(row("p1", 0.8f, {0}, {}));
  val.push_back(row("p2", 0.2f, {}, {}));
  val.push_back(row("p3", 0.5f, {}, {0}));
  EXPECT_NEAR(eval::choose_thresholds(val, 1)[0], 0.5f, 1e-6);
}

TEST(Pooled, BinaryScoresAtAThreshold) {
  eval::BootstrapConfig boot;
  boot.n_resamples = 200;
  auto j = experiment::binary_scores({0.9f, 0.8f, 0.3f, 0.2f}, {1, 0, 1, 0}, {"a", "b", "c", "d"}, 0.5f, boot);
  EXPECT_EQ(j["n_positive"], 2);
  EXPECT_DOUBLE_EQ(j["sensitivity"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["specificity"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["macc"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["auroc"].get<double>(), 0.75);
  ASSERT_TRUE(j["macc_ci"][0].is_number());
  EXPECT_LE(j["macc_ci"][0].get<double>(), 0.5);
  EXPECT_GE(j["macc_ci"][1].get<double>(), 0.5);
  auto one_class = experiment::binary_scores({0.9f, 0.1f}, {1, 1}, {"a", "b"}, 0.5f, boot);
  EXPECT_TRUE(one_class["macc"].is_null());
  EXPECT_TRUE(one_class["auroc"].is_null());
}

TEST(Pooled, AnswerNamesValvesFirstThenTheOtherFindings) {
  const std::vector<std::string> names{"AR", "AS", "MR", "MS", "abnormal", "murmur"};
  const std::vector<float> t(6, 0.5f);
  auto a = pipeline::answer_json(names, std::vector<double>{0.1, 0.9, 0.2, 0.1, 0.8, 0.7}, t);
  EXPECT_EQ(a["class"], "AS");
  EXPECT_EQ(a["verdict"], "AS suspected; abnormal, murmur");
  auto b = pipeline::answer_json(names, std::vector<double>{0.1, 0.1, 0.2, 0.1, 0.8, 0.2}, t);
  EXPECT_EQ(b["class"], "abnormal");
  EXPECT_EQ(b["verdict"], "no valve disease named; abnormal");
  EXPECT_EQ(b["findings"], nlohmann::json::array({"abnormal"}));
  auto c = pipeline::answer_json(names, std::vector<double>(6, 0.1), t);
  EXPECT_EQ(c["verdict"], "no valve disease found");
  EXPECT_EQ(c["class"], "N");
}

namespace {

// A collection: a synthetic BMD-HS ("bmd-hs") and a manifest of two clinics at 2 kHz whose
// recordings say only normal / abnormal.
std::string make_collection() {
  std::string d = test::temp_dir("pooled_loso");
  synth::SynthConfig bmd;
  bmd.n_patients = 10, bmd.seed = 11, bmd.duration_s = 6;
  synth::write_synthetic_dataset(d + "/data/bmd", bmd);
  synth::SynthConfig other = bmd;
  other.seed = 12, other.n_patients = 10, other.sample_rate_hz = 2000;
  synth::write_synthetic_dataset(d + "/gen", other);
  fs::create_directories(d + "/data/clinics");
  std::ofstream m(d + "/data/clinics/manifest.csv");
  m << "file,patient,source,abnormal\n";
  for (int i = 0; i < 10; ++i) {
    const std::string cls = data::kClassNames[size_t(synth::patient_class(i))];
    char pid[8];
    std::snprintf(pid, sizeof pid, "%03d", i + 1);
    for (const char* spot : {"sit_Aor", "sup_Mit"}) {
      const std::string name = cls + "_" + pid + "_" + spot + ".wav";
      fs::copy_file(d + "/gen/train/" + name, d + "/data/clinics/" + name);
      m << name << ",c" << pid << "," << (i < 5 ? "clinic-a" : "clinic-b") << "," << (cls == "N" ? 0 : 1) << "\n";
    }
  }
  return d;
}

}  // namespace

TEST(Pooled, LeaveOneSourceOutNamesEachHeldOutSource) {
  const std::string d = make_collection();
  experiment::CvOptions o;
  o.preset = pipeline::with_overrides(*pipeline::make_preset("pooled"), {"train.epochs=1", "native.crops_per_epoch=1"});
  o.data = {d + "/data", d + "/cache", /*quiet=*/true, /*threads=*/2};
  o.run_dir = d + "/loso";
  o.split = "source";
  o.bootstrap.n_resamples = 50;
  auto report = experiment::cv_run(o);
  ASSERT_EQ(report["sources"].size(), 3u) << report.dump(1);
  std::vector<std::string> held_out;
  for (auto& s : report["sources"]) {
    held_out.push_back(s["source"]);
    ASSERT_TRUE(s.contains("macc")) << s.dump();
    EXPECT_TRUE(s["macc"].is_number()) << s.dump();  // every source has normal and abnormal recordings
    EXPECT_EQ(s["trained_on_sources"].size(), 2u);
    EXPECT_EQ(std::count(s["trained_on_sources"].begin(), s["trained_on_sources"].end(), s["source"]), 0);
  }
  EXPECT_EQ(held_out, (std::vector<std::string>{"bmd-hs", "clinic-a", "clinic-b"}));
  EXPECT_EQ(report["sources"][1]["n_recordings"], 10);
  // Valve outputs are scored where the held-out source has them (BMD-HS) and nowhere else.
  EXPECT_TRUE(report["sources"][0]["outputs"].contains("AS"));
  EXPECT_FALSE(report["sources"][1]["outputs"].contains("AS"));
  EXPECT_TRUE(fs::exists(d + "/loso/oof_predictions.csv"));
  std::ifstream page(d + "/loso/report.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<td>clinic-b</td>"), std::string::npos);
  EXPECT_NE(html.find("Mean MAcc over the 3 sources scored"), std::string::npos);
  EXPECT_NE(experiment::loso_summary(report).find("clinic-b"), std::string::npos);
  // Finished sources are kept: a second call only reports.
  const auto stamp = fs::last_write_time(d + "/loso/clinic-a/done.json");
  EXPECT_EQ(experiment::cv_run(o)["sources"], report["sources"]);
  EXPECT_EQ(fs::last_write_time(d + "/loso/clinic-a/done.json"), stamp);

  // What cv refuses, and the error it gives ("" when it was accepted).
  auto refusal = [&](const std::string& split, const std::string& preset, const std::string& dir) -> std::string {
    o.split = split;
    o.preset = pipeline::make_preset(preset);
    o.run_dir = d + "/" + dir;
    try {
      experiment::cv_run(o);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  // Patient folds would score the clinics' missing labels as negatives: refused, naming the way out.
  EXPECT_NE(refusal("patient", "pooled", "kfold").find("cv --split source"), std::string::npos);
  // A 5-class preset has nothing to learn from the clinics: refused before any work.
  EXPECT_NE(refusal("source", "native", "native").find("--preset pooled"), std::string::npos);
  // The valves preset learns from BMD-HS only: one source, nothing to leave out.
  EXPECT_NE(refusal("source", "valves", "valves").find("one source only (bmd-hs)"), std::string::npos);
  // Past the last source: refused, naming the range.
  o.only_fold = 3;
  EXPECT_NE(refusal("source", "pooled", "past").find("past the 3 sources (0-2"), std::string::npos);
}

TEST(Pooled, TestSourceFoldsThatSourceWithTheOthersInTraining) {
  const std::string d = make_collection();
  experiment::CvOptions o;
  o.preset = pipeline::with_overrides(*pipeline::make_preset("pooled"), {"train.epochs=1", "native.crops_per_epoch=1"});
  o.data = {d + "/data", d + "/cache", /*quiet=*/true, /*threads=*/2};
  o.run_dir = d + "/bmd-folds";
  o.split = "patient";
  o.test_source = "bmd-hs";
  o.folds = 2;
  o.val_fraction = 0.5;  // of 5 training patients: one of each class would round to none
  o.bootstrap.n_resamples = 50;
  o.shifts = o.explain = false;
  auto report = experiment::cv_run(o);
  ASSERT_TRUE(report.contains("metrics")) << report.dump(1).substr(0, 2000);

  // The folds are those of a run on BMD-HS alone (same seed); each fold also trained on both clinics.
  const auto alone = experiment::load_dataset({d + "/data/bmd", d + "/cache", true, 2}, *o.preset);
  const auto alone_items = alone.items();
  auto folds = data::stratified_group_kfold(alone_items, 2, o.seed);
  size_t n_test = 0;
  for (int f = 0; f < 2; ++f) {
    std::vector<std::string> expected;
    for (int i : folds[size_t(f)].test) expected.push_back("bmd-hs:" + alone_items[size_t(i)].group);
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    n_test += folds[size_t(f)].test.size();
    auto done = experiment::read_json_file(d + "/bmd-folds/repeat0/fold" + std::to_string(f) + "/done.json");
    EXPECT_EQ(done["test_patients"].get<std::vector<std::string>>(), expected) << "fold " << f;
    EXPECT_EQ(done["trained_on_sources"], (nlohmann::json{"bmd-hs", "clinic-a", "clinic-b"}));
    ASSERT_FALSE(done["val_patients"].empty());
    for (auto& p : done["val_patients"]) EXPECT_EQ(p.get<std::string>().rfind("bmd-hs:", 0), 0u) << p;
  }
  // The report is about BMD-HS's patients only: every one of its recordings scored once.
  std::ifstream oof(d + "/bmd-folds/oof_predictions.csv");
  size_t rows = 0;
  for (std::string line; std::getline(oof, line);) ++rows;
  EXPECT_EQ(rows, n_test + 1);  // + header
  EXPECT_NE(report["title"].get<std::string>().find("patients of bmd-hs"), std::string::npos);

  // Refused: a source the collection lacks (naming those it has), and --split source.
  auto refusal = [&](const std::string& split, const std::string& source) -> std::string {
    o.split = split, o.test_source = source, o.run_dir = d + "/refused-" + split + source;
    try {
      experiment::cv_run(o);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(refusal("patient", "clinic-z").find("its sources: bmd-hs, clinic-a, clinic-b"), std::string::npos);
  EXPECT_NE(refusal("source", "bmd-hs").find("--test-source needs --split patient"), std::string::npos);
}

TEST(Pooled, EachHeldOutSourceStartsFromAPretrainingWithoutIt) {
  const std::string d = make_collection();
  experiment::PretrainRunOptions pre;
  pre.data = {d + "/data", d + "/cache", /*quiet=*/true, /*threads=*/2};
  pre.pretrain.epochs = 1;
  pre.pretrain.batch_size = 8;
  const auto all = experiment::pretrain_run([&] { auto p = pre; p.out_dir = d + "/pre-all"; return p; }());
  for (const std::string s : {"bmd-hs", "clinic-a", "clinic-b"}) {
    pre.exclude_sources = {s};
    pre.out_dir = d + "/pre-no-" + s;
    const auto summary = experiment::pretrain_run(pre);
    EXPECT_EQ(std::count(summary["sources"].begin(), summary["sources"].end(), s), 0) << summary["sources"];
    EXPECT_EQ(summary["sources"].size(), 2u);
    EXPECT_EQ(summary["excluded_sources"], nlohmann::json{s});
    EXPECT_LT(summary["recordings"].get<int>(), all["recordings"].get<int>());
  }
  pre.exclude_sources = {"clinic-z"};
  try {
    experiment::pretrain_run(pre);
    ADD_FAILURE() << "an unknown source was excluded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no source 'clinic-z'"), std::string::npos) << e.what();
  }

  experiment::CvOptions o;
  const auto pooled_from = [](const std::string& init) {
    return pipeline::with_overrides(*pipeline::make_preset("pooled"),
                                    {"train.epochs=1", "native.crops_per_epoch=1", "train.init=" + init});
  };
  o.data = pre.data;
  o.split = "source";
  o.bootstrap.n_resamples = 50;
  // A start missing for one source: refused before any source trains, naming its file.
  o.preset = pooled_from(d + "/pre-none-{source}/model.pth");
  o.run_dir = d + "/loso-missing";
  try {
    experiment::cv_run(o);
    ADD_FAILURE() << "a missing start was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pre-none-bmd-hs/model.pth is not a file"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(d + "/loso-missing/bmd-hs/done.json"));
  o.preset = pooled_from(d + "/pre-no-{source}/model.pth");
  o.run_dir = d + "/loso";
  const auto report = experiment::cv_run(o);
  ASSERT_EQ(report["sources"].size(), 3u);
  for (const std::string s : {"bmd-hs", "clinic-a", "clinic-b"}) {
    const auto ck = model::read_checkpoint(d + "/loso/" + s + "/model.pth");
    EXPECT_EQ(ck.murmur_config["train"]["init"], d + "/pre-no-" + s + "/model.pth");
  }
  // Outside leave-one-source-out the placeholder has nothing to stand for.
  try {
    model::require_init_file(d + "/pre-no-{source}/model.pth");
    ADD_FAILURE() << "{source} was accepted without a held-out source";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("only cv --split source"), std::string::npos) << e.what();
  }
  EXPECT_EQ(model::init_for_source("a-{source}/{source}.pth", "b"), "a-b/b.pth");
}
