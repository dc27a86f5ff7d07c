// Metrics checked against values computed by hand (sklearn's definitions; derivations in comments).
#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

namespace me = murmur::eval;

namespace {

// One-hot-ish probabilities that argmax to `pred`.
std::vector<float> probs_for(int pred, int k, float top = 0.7f) {
  std::vector<float> p(k, (1 - top) / (k - 1));
  p[pred] = top;
  return p;
}

me::Predictions rows_from(const std::vector<int>& y, const std::vector<int>& pred, int k) {
  me::Predictions rows;
  for (size_t i = 0; i < y.size(); ++i) {
    me::Prediction p;
    p.file = "f" + std::to_string(i);
    p.patient = "p" + std::to_string(i);
    p.true_class = y[i];
    p.probs = probs_for(pred[i], k);
    rows.push_back(p);
  }
  return rows;
}

// A synthetic CV run: n_patients patients x 8 recordings (4 sites x 2 positions), 5 folds,
// a classifier that leans to the right class for ~70% of patients and to a wrong one otherwise,
// each recording following its patient's lean 75% of the time.
me::Predictions synthetic_run(int n_patients, int repeats, uint32_t seed) {
  const char* sites[] = {"Aor", "Mit", "Pul", "Tri"};
  const char* positions[] = {"sit", "sup"};
  me::Predictions rows;
  uint32_t s = seed;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return (s >> 8) / float(1 << 24); };
  for (int r = 0; r < repeats; ++r)
    for (int p = 0; p < n_patients; ++p) {
      int lean = rnd() < 0.7f ? p % 5 : (p % 5 + 1 + int(rnd() * 4) % 4) % 5;
      for (int si = 0; si < 4; ++si)
        for (int po = 0; po < 2; ++po) {
          me::Prediction x;
          x.patient = "patient_" + std::to_string(p);
          x.file = "rec_" + std::to_string(p) + "_" + positions[po] + "_" + sites[si];
          x.site = sites[si], x.position = positions[po];
          x.fold = (p + r) % 5, x.repeat = r;
          x.true_class = p % 5;
          int pred = rnd() < 0.75f ? lean : int(rnd() * 5) % 5;
          x.probs = probs_for(pred, 5, 0.4f + 0.5f * rnd());
          rows.push_back(x);
        }
    }
  return rows;
}

const std::vector<std::string> kClasses = {"AR", "AS", "MR", "MS", "N"};

}  // namespace

TEST(Metrics, PerfectClassifier) {
  auto m = me::compute_metrics({0, 1, 2, 0, 1, 2}, {probs_for(0, 3), probs_for(1, 3), probs_for(2, 3),
                                                    probs_for(0, 3), probs_for(1, 3), probs_for(2, 3)}, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_auroc, 1.0);
  for (int c = 0; c < 3; ++c) {
    EXPECT_DOUBLE_EQ(m.sensitivity[c], 1.0);
    EXPECT_DOUBLE_EQ(m.specificity[c], 1.0);
    EXPECT_EQ(m.confusion[c][c], 2);
  }
}

TEST(Metrics, AllPredictedOneClass) {
  // y = 0,0,1,1,2,2, everything predicted 0: recall 1,0,0 -> balanced accuracy 1/3;
  // F1(0) = 2*2/(2*2+4+0) = 0.5, F1(1) = F1(2) = 0 -> macro-F1 1/6 (sklearn zero_division=0).
  auto rows = rows_from({0, 0, 1, 1, 2, 2}, {0, 0, 0, 0, 0, 0}, 3);
  std::vector<int> y;
  std::vector<std::vector<float>> p;
  for (auto& r : rows) y.push_back(r.true_class), p.push_back(r.probs);
  auto m = me::compute_metrics(y, p, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 2.0 / 6);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.macro_f1, 1.0 / 6);
  EXPECT_DOUBLE_EQ(m.specificity[0], 0.0);  // TN 0, FP 4
  EXPECT_DOUBLE_EQ(m.specificity[1], 1.0);
  EXPECT_TRUE(std::isnan(m.precision[1]));  // never predicted: undefined, not 0
  // Every row has the same scores: all AUROCs are ties -> 0.5.
  for (int c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(m.auroc[c], 0.5);
}

TEST(Metrics, KnownConfusionMatrix) {
  // confusion [true][pred] = [[3,1,0],[1,2,1],[0,0,2]]
  std::vector<int> y = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
  std::vector<int> pred = {0, 0, 0, 1, 0, 1, 1, 2, 2, 2};
  auto rows = rows_from(y, pred, 3);
  std::vector<std::vector<float>> p;
  for (auto& r : rows) p.push_back(r.probs);
  auto m = me::compute_metrics(y, p, 3);
  std::vector<std::vector<int>> expected = {{3, 1, 0}, {1, 2, 1}, {0, 0, 2}};
  EXPECT_EQ(m.confusion, expected);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.7);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, (0.75 + 0.5 + 1.0) / 3);          // 0.75
  EXPECT_NEAR(m.macro_f1, (0.75 + 4.0 / 7 + 0.8) / 3, 1e-12);            // 0.707142857
  EXPECT_DOUBLE_EQ(m.specificity[0], 5.0 / 6);                            // TN 5, FP 1
  EXPECT_DOUBLE_EQ(m.specificity[2], 7.0 / 8);                            // TN 7, FP 1
  EXPECT_DOUBLE_EQ(m.precision[1], 2.0 / 3);
  EXPECT_EQ(m.support, (std::vector<int>{4, 4, 2}));
}

TEST(Metrics, AurocWithTiesMatchesSklearn) {
  // Pairs (pos, neg): 0.9 beats all 3 negatives; 0.7 loses to 0.8, ties 0.7 (1/2), beats 0.1;
  // 0.3 beats 0.1 -> (3 + 1.5 + 1) / 9 = 0.6111 = roc_auc_score([1,0,1,0,1,0], s).
  std::vector<bool> y = {true, false, true, false, true, false};
  std::vector<double> s = {0.9, 0.8, 0.7, 0.7, 0.3, 0.1};
  EXPECT_NEAR(me::roc_auc(y, s), 5.5 / 9, 1e-12);
  // All tied -> 0.5; one class only -> NaN (sklearn raises).
  EXPECT_DOUBLE_EQ(me::roc_auc({true, false, true}, {0.5, 0.5, 0.5}), 0.5);
  EXPECT_TRUE(std::isnan(me::roc_auc({true, true}, {0.1, 0.2})));
  // The weighted multi-class path gives the same number as the two-class one.
  std::vector<int> labels;
  std::vector<std::vector<float>> probs;
  for (size_t i = 0; i < y.size(); ++i) labels.push_back(y[i] ? 0 : 1), probs.push_back({float(s[i]), float(1 - s[i])});
  EXPECT_NEAR(me::compute_metrics(labels, probs, 2).auroc[0], 5.5 / 9, 1e-7);
}

TEST(Metrics, RocCurveMatchesSklearnPoints) {
  // roc_curve([1,0,1,0,1,0], s): tps 1,1,2,3,3 and fps 0,1,2,2,3 at the 5 distinct thresholds,
  // no collinear point to drop.
  auto r = me::roc_curve({true, false, true, false, true, false}, {0.9, 0.8, 0.7, 0.7, 0.3, 0.1});
  std::vector<double> fpr = {0, 0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1}, tpr = {0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1};
  ASSERT_EQ(r.fpr.size(), fpr.size());
  for (size_t i = 0; i < fpr.size(); ++i) {
    EXPECT_NEAR(r.fpr[i], fpr[i], 1e-12) << i;
    EXPECT_NEAR(r.tpr[i], tpr[i], 1e-12) << i;
  }
  // roc_curve([1,1,0,0], [.9,.8,.2,.1]) -> fpr [0,0,0,1], tpr [0,.5,1,1]: (0.5, 1) is collinear, dropped.
  auto d = me::roc_curve({true, true, false, false}, {0.9, 0.8, 0.2, 0.1});
  EXPECT_EQ(d.fpr, (std::vector<double>{0, 0, 0, 1}));
  EXPECT_EQ(d.tpr, (std::vector<double>{0, 0.5, 1, 1}));
}

TEST(Metrics, PatientAggregation) {
  me::Predictions rows(5);
  rows[0] = {"a1", "A", "Aor", "sit", 0, 0, 1, {0.2f, 0.8f}};
  rows[1] = {"a2", "A", "Mit", "sup", 0, 0, 1, {0.6f, 0.4f}};
  rows[2] = {"b1", "B", "Aor", "sit", 1, 0, 0, {0.9f, 0.1f}};
  rows[3] = {"b2", "B", "Mit", "sup", 2, 0, 0, {0.7f, 0.3f}};   // B split across folds
  rows[4] = {"a1", "A", "Aor", "sit", 3, 1, 1, {0.5f, 0.5f}};   // repeat 1 stays separate
  std::vector<std::string> warnings;
  auto p = me::aggregate_patients(rows, &warnings);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].patient, "A");
  EXPECT_EQ(p[0].repeat, 0);
  EXPECT_NEAR(p[0].probs[0], 0.4f, 1e-6);
  EXPECT_NEAR(p[0].probs[1], 0.6f, 1e-6);
  EXPECT_EQ(p[0].true_class, 1);
  EXPECT_EQ(p[0].fold, 0);
  EXPECT_EQ(p[1].patient, "B");
  EXPECT_EQ(p[1].fold, -1);
  EXPECT_NEAR(p[1].probs[0], 0.8f, 1e-6);
  EXPECT_EQ(p[2].repeat, 1);
  EXPECT_NEAR(p[2].probs[0], 0.5f, 1e-6);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("patient B"), std::string::npos);

  rows[1].true_class = 0;  // A's recordings disagree about A's class
  EXPECT_THROW(me::aggregate_patients(rows), murmur::Error);
}

TEST(Metrics, BootstrapIntervalsContainEstimateAndAreSeeded) {
  auto rows = synthetic_run(40, 1, 7);
  me::BootstrapConfig boot;
  boot.n_resamples = 300;
  auto a = me::evaluate(rows, kClasses, boot);
  auto b = me::evaluate(rows, kClasses, boot);
  EXPECT_EQ(a.dump(), b.dump()) << "same seed must give the same report";
  for (const char* level : {"recording", "patient"})
    for (const char* m : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"}) {
      const auto& s = a[level][m];
      double v = s["value"], lo = s["ci_low"], hi = s["ci_high"];
      EXPECT_LE(lo, v) << level << " " << m;
      EXPECT_GE(hi, v) << level << " " << m;
      EXPECT_LT(lo, hi) << level << " " << m;
      EXPECT_LT(hi - lo, 0.5) << level << " " << m;
    }
  boot.seed = 43;
  auto c = me::evaluate(rows, kClasses, boot);
  EXPECT_NE(a["recording"]["macro_auroc"].dump(), c["recording"]["macro_auroc"].dump());  // continuous
  EXPECT_EQ(a["patient"]["accuracy"]["value"], c["patient"]["accuracy"]["value"]);
  boot.n_resamples = 0;
  auto none = me::evaluate(rows, kClasses, boot);
  EXPECT_TRUE(none["patient"]["accuracy"]["ci_low"].is_null());
}

TEST(Metrics, BootstrapResamplesPatientsNotRecordings) {
  // Each patient's 8 recordings are identical copies: the recording-level interval must be as
  // wide as the patient-level one (resampling recordings would make it ~sqrt(8) times narrower).
  auto rows = synthetic_run(40, 1, 11);
  for (auto& r : rows) {
    int p = std::stoi(r.patient.substr(8));
    r.probs = probs_for(p % 3 == 0 ? (r.true_class + 1) % 5 : r.true_class, 5);
  }
  me::BootstrapConfig boot;
  boot.n_resamples = 400;
  auto j = me::evaluate(rows, kClasses, boot);
  double rec = double(j["recording"]["accuracy"]["ci_high"]) - double(j["recording"]["accuracy"]["ci_low"]);
  double pat = double(j["patient"]["accuracy"]["ci_high"]) - double(j["patient"]["accuracy"]["ci_low"]);
  EXPECT_NEAR(rec, pat, 1e-9);
  EXPECT_GT(rec, 0.15);  // 40 patients, accuracy ~0.675: about +-0.145
}

TEST(Metrics, EvaluateSchemaBreakdownsAndFolds) {
  auto rows = synthetic_run(25, 2, 3);
  me::BootstrapConfig boot;
  boot.n_resamples = 100;
  auto j = me::evaluate(rows, kClasses, boot);
  EXPECT_EQ(j["schema"], "murmur.eval.metrics/1");
  EXPECT_EQ(j["n_patients"], 25);
  EXPECT_EQ(j["n_recordings"], 200);
  EXPECT_EQ(j["n_repeats"], 2);
  EXPECT_EQ(j["n_folds"], 5);
  EXPECT_EQ(j["recording"]["n_rows"], 400);
  EXPECT_EQ(j["patient"]["n_rows"], 50);
  EXPECT_EQ(j["by_site"].size(), 4u);
  EXPECT_EQ(j["by_site"]["Aor"]["n_rows"], 100);
  EXPECT_EQ(j["by_position"]["sup"]["n_rows"], 200);
  EXPECT_EQ(j["recording"]["per_class"].size(), 5u);
  EXPECT_EQ(j["recording"]["per_class"][4]["class"], "N");
  EXPECT_EQ(j["recording"]["roc"][0]["fpr"][0], 0.0);
  EXPECT_EQ(j["recording"]["roc"][0]["tpr"].back(), 1.0);
  int total = 0;
  for (auto& row : j["recording"]["confusion"])
    for (auto& c : row) total += c.get<int>();
  EXPECT_EQ(total, 400);
  EXPECT_EQ(j["folds"]["recording"]["n"], 10);
  // Mean over folds recomputed from the per-fold rows.
  double sum = 0;
  for (auto& f : j["folds"]["patient"]["per_fold"]) sum += f["accuracy"].get<double>();
  EXPECT_NEAR(j["folds"]["patient"]["accuracy"]["mean"].get<double>(), sum / 10, 1e-12);
  EXPECT_GT(j["folds"]["patient"]["accuracy"]["sd"].get<double>(), 0.0);
  EXPECT_TRUE(j["warnings"].empty());
}

TEST(Metrics, FoldMeanAndSdByHand) {
  // Fold 0: 2 of 2 right; fold 1: 1 of 2 right -> mean 0.75, sd sqrt(((.25)^2*2)/1) = 0.353553.
  auto rows = rows_from({0, 1, 0, 1}, {0, 1, 0, 0}, 2);
  rows[2].fold = rows[3].fold = 1;
  auto j = me::evaluate(rows, {"X", "Y"}, me::BootstrapConfig{0});
  EXPECT_DOUBLE_EQ(j["folds"]["recording"]["accuracy"]["mean"].get<double>(), 0.75);
  EXPECT_NEAR(j["folds"]["recording"]["accuracy"]["sd"].get<double>(), std::sqrt(0.125), 1e-12);
}

TEST(Metrics, RejectsBadInput) {
  auto rows = rows_from({0, 1}, {0, 1}, 2);
  EXPECT_THROW(me::evaluate(rows, {"A", "B", "C"}, {}), murmur::Error);  // probs of size 2
  rows[1].true_class = 2;
  EXPECT_THROW(me::evaluate(rows, {"A", "B"}, {}), murmur::Error);
  rows[1].true_class = 1;
  rows[1].file = rows[0].file;  // same recording twice in one repeat
  EXPECT_THROW(me::evaluate(rows, {"A", "B"}, {}), murmur::Error);
  EXPECT_THROW(me::evaluate({}, {"A", "B"}, {}), murmur::Error);
}

TEST(Metrics, CsvRoundTrip) {
  auto rows = synthetic_run(3, 2, 5);
  rows[0].file = "odd, \"name\"";  // quoting
  rows[1].probs[2] = 1.0f / 3.0f;
  std::string dir = murmur::test::temp_dir("metrics_csv");
  me::write_predictions_csv(dir + "/oof.csv", rows, kClasses);
  std::vector<std::string> names;
  auto back = me::read_predictions_csv(dir + "/oof.csv", &names);
  EXPECT_EQ(names, kClasses);
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(back[i].file, rows[i].file);
    EXPECT_EQ(back[i].patient, rows[i].patient);
    EXPECT_EQ(back[i].site, rows[i].site);
    EXPECT_EQ(back[i].position, rows[i].position);
    EXPECT_EQ(back[i].fold, rows[i].fold);
    EXPECT_EQ(back[i].repeat, rows[i].repeat);
    EXPECT_EQ(back[i].true_class, rows[i].true_class);
    EXPECT_EQ(back[i].probs, rows[i].probs);  // %.9g round-trips floats exactly
  }
  std::string header = murmur::util::read_file(dir + "/oof.csv").substr(0, 80);
  EXPECT_EQ(header.rfind("file,patient,site,position,fold,repeat,true_class,p_AR,p_AS", 0), 0u);
  std::filesystem::remove_all(dir);
}

TEST(Metrics, CsvErrorsNameFileAndLine) {
  const std::string head = "file,patient,site,position,fold,repeat,true_class,p_A,p_B\n";
  try {
    me::predictions_from_csv(head + "f,p,Aor,sit,0,0,A,0.5,0.5\nf2,p,Aor,sit,x,0,A,0.5,0.5\n", "run.csv");
    FAIL() << "expected an error";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("run.csv:3:", 0), 0u) << e.what();
  }
  EXPECT_THROW(me::predictions_from_csv(head + "f,p,Aor,sit,0,0,C,0.5,0.5\n", "run.csv"), murmur::Error);
  EXPECT_THROW(me::predictions_from_csv("a,b\n", "run.csv"), murmur::Error);
  EXPECT_EQ(me::predictions_from_csv(head, "run.csv").size(), 0u);
}

// File names with commas and quotes round-trip; CRLF files (spreadsheet exports) read.
TEST(Metrics, CsvQuotesAndCrlf) {
  me::Prediction p;
  p.file = "a,\"b\".wav", p.patient = "patient, 1", p.site = "Aor", p.position = "sit";
  p.fold = 2, p.repeat = 1, p.true_class = 1, p.probs = {0.25f, 0.75f};
  std::string text = me::predictions_to_csv({p}, {"A", "N"});
  EXPECT_NE(text.find("\"a,\"\"b\"\".wav\""), std::string::npos) << text;
  std::vector<std::string> classes;
  auto back = me::predictions_from_csv(text, "q.csv", &classes);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].file, p.file);
  EXPECT_EQ(back[0].patient, p.patient);
  EXPECT_EQ(back[0].probs, p.probs);
  EXPECT_EQ(back[0].true_class, 1);
  EXPECT_EQ(me::predictions_to_csv(back, classes), text);

  // (Class names without "N" would make a multi-label file: eval::is_multi_label.)
  std::string crlf = "file,patient,site,position,fold,repeat,true_class,p_A,p_N\r\n"
                     "f1,p1,Mit,sup,0,0,N,0.1,0.9\r\nf2,p2,Mit,sup,1,0,A,0.6,0.4\r\n";
  auto rows = me::predictions_from_csv(crlf, "crlf.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].file, "f2");
  EXPECT_EQ(rows[1].probs[1], 0.4f);
  EXPECT_EQ(rows[0].true_class, 1);
}

// Geometric fusion favours the class no recording rules out; mean fusion averages it away.
TEST(Metrics, GeometricPatientFusion) {
  using namespace murmur::eval;
  Prediction a, b;
  a.file = "P_1_sit_Aor", b.file = "P_1_sit_Mit";
  a.patient = b.patient = "P_1";
  a.true_class = b.true_class = 2;
  a.probs = {0.7f, 0.0001f, 0.2999f};
  b.probs = {0.0001f, 0.7f, 0.2999f};
  auto mean = aggregate_patients({a, b}, nullptr, Fusion::kMean);
  auto geo = aggregate_patients({a, b}, nullptr, Fusion::kGeometric);
  ASSERT_EQ(mean.size(), 1u);
  EXPECT_NEAR(mean[0].probs[2], 0.2999, 1e-6);
  EXPECT_EQ(predicted_class(geo[0].probs), 2);
  double sum = 0;
  for (float p : geo[0].probs) sum += p;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(geo[0].probs[2] / geo[0].probs[0], 0.2999 / std::sqrt(0.7 * 0.0001), 1e-3 * 0.2999 / std::sqrt(0.7 * 0.0001));
  EXPECT_EQ(geo[0].probs, fuse({a.probs, b.probs}, Fusion::kGeometric));
  EXPECT_EQ(mean[0].probs, fuse({a.probs, b.probs}, Fusion::kMean));
}

TEST(Metrics, FusionNamesAndErrors) {
  using namespace murmur::eval;
  for (Fusion f : {Fusion::kMean, Fusion::kGeometric}) EXPECT_EQ(parse_fusion(fusion_name(f)), f);
  try {
    parse_fusion("median");
    FAIL() << "expected an error";
  } catch (const murmur::Error& e) {
    EXPECT_STREQ(e.what(), "fusion: must be mean or geometric (got \"median\")");
  }
  EXPECT_NE(fusion_rule(Fusion::kGeometric).find("geometric mean"), std::string::npos);
  EXPECT_EQ(fusion_rule(Fusion::kMean).find("geometric"), std::string::npos);
  EXPECT_THROW(fuse({}, Fusion::kMean), murmur::Error);
  EXPECT_THROW(fuse({{0.5f, 0.5f}, {1.0f}}, Fusion::kMean), murmur::Error);
}

// Evaluation names its fusion at the top level; old bootstrap JSON with a fusion key still reads.
TEST(Metrics, EvaluateNamesFusion) {
  using namespace murmur::eval;
  Prediction a, b;
  a.file = "x1", b.file = "x2", a.patient = "p1", b.patient = "p2", b.true_class = 1;
  a.probs = {0.8f, 0.2f}, b.probs = {0.3f, 0.7f};
  BootstrapConfig boot;
  boot.n_resamples = 10;
  auto j = evaluate({a, b}, {"A", "B"}, boot, Fusion::kGeometric);
  EXPECT_EQ(j["patient_fusion"], "geometric");
  EXPECT_FALSE(j["bootstrap"].contains("patient_fusion"));
  EXPECT_EQ(evaluate({a, b}, {"A", "B"}, boot)["patient_fusion"], "mean");
  auto old = nlohmann::json{{"n_resamples", 7}, {"patient_fusion", "geometric"}}.get<BootstrapConfig>();
  EXPECT_EQ(old.n_resamples, 7);
  boot.n_resamples = -1;
  try {
    boot.validate();
    FAIL() << "expected an error";
  } catch (const murmur::Error& e) {
    EXPECT_STREQ(e.what(), "bootstrap.n_resamples: must be >= 0 (got -1)");
  }
}
