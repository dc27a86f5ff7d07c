// Multi-label evaluation: average precision and PR points against sklearn, exact match and
// Hamming loss by hand, patient rows, the patient bootstrap, the 5-class view, and the CSV.
#include "eval/multilabel.h"

#include <gtest/gtest.h>

#include <cmath>

#include "eval/predictions.h"
#include "util/error.h"

namespace me = murmur::eval;

namespace {

const std::vector<std::string> kLabels = {"AR", "AS", "MR", "MS"};

me::Prediction row(const std::string& patient, const std::string& file, std::vector<int> labels,
                   std::vector<float> probs, int fold = 0) {
  me::Prediction p;
  p.patient = patient, p.file = file, p.site = "Aor", p.position = "sit", p.fold = fold;
  p.true_class = -1, p.true_labels = std::move(labels), p.probs = std::move(probs);
  return p;
}

// 40 patients x 4 recordings; labels from the patient number, probabilities lean right.
me::Predictions synthetic(uint32_t seed = 7) {
  uint32_t s = seed;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return (s >> 8) / float(1 << 24); };
  me::Predictions rows;
  for (int p = 0; p < 40; ++p) {
    std::vector<int> labels;
    for (int c = 0; c < 4; ++c)
      if ((p >> c) & 1 && p % 5 != 0) labels.push_back(c);
    std::vector<float> lean(4);  // per patient: how the model sees this patient
    for (int c = 0; c < 4; ++c) {
      bool has = std::find(labels.begin(), labels.end(), c) != labels.end();
      lean[c] = (has ? 0.6f : 0.4f) + 0.5f * (rnd() - 0.5f);
    }
    for (int r = 0; r < 4; ++r) {
      std::vector<float> probs(4);
      for (int c = 0; c < 4; ++c) probs[c] = std::clamp(lean[c] + 0.4f * (rnd() - 0.5f), 0.0f, 1.0f);
      auto x = row("patient_" + std::to_string(p), "p" + std::to_string(p) + "_r" + std::to_string(r), labels,
                   probs, p % 5);
      x.thresholds = {0.5f, 0.45f, 0.5f, 0.55f};
      rows.push_back(x);
    }
  }
  return rows;
}

}  // namespace

// sklearn: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333;
// precision_recall_curve gives precision [0.5, 0.667, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0].
TEST(MultiLabel, AveragePrecisionMatchesSklearn) {
  std::vector<bool> y = {false, false, true, true};
  std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  EXPECT_NEAR(me::average_precision(y, s), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
  auto pr = me::pr_curve(y, s);
  std::vector<double> recall = {0, 0.5, 0.5, 1, 1}, precision = {1, 1, 0.5, 2.0 / 3.0, 0.5};
  ASSERT_EQ(pr.recall.size(), recall.size());
  for (size_t i = 0; i < recall.size(); ++i) {
    EXPECT_NEAR(pr.recall[i], recall[i], 1e-12) << i;
    EXPECT_NEAR(pr.precision[i], precision[i], 1e-12) << i;
  }
  // Ties: average_precision_score([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.2]) = 2/3.
  EXPECT_NEAR(me::average_precision({true, false, true, false}, {0.5, 0.5, 0.5, 0.2}), 2.0 / 3.0, 1e-12);
  EXPECT_TRUE(std::isnan(me::average_precision({false, false}, {0.1, 0.2})));
  // The weighted row set gives the same AP and AUROC as the plain functions.
  me::Predictions rows;
  for (size_t i = 0; i < y.size(); ++i)
    rows.push_back(row("p" + std::to_string(i), "f" + std::to_string(i), y[i] ? std::vector<int>{0} : std::vector<int>{},
                       {float(s[i])}));
  auto m = me::compute_multilabel_metrics(rows, 1);
  EXPECT_NEAR(m.average_precision[0], 0.8333333, 1e-6);
  EXPECT_NEAR(m.auroc[0], me::roc_auc(y, {0.1f, 0.4f, 0.35f, 0.8f}), 1e-12);
}

TEST(MultiLabel, ExactMatchHammingAndScreeningByHand) {
  // A: {0} -> {0} right. B: {0,1} -> {0} (1 wrong). C: {} -> {1} (1 wrong).
  me::Predictions rows = {row("a", "a", {0}, {0.7f, 0.2f}), row("b", "b", {0, 1}, {0.6f, 0.4f}),
                          row("c", "c", {}, {0.1f, 0.9f})};
  auto m = me::compute_multilabel_metrics(rows, 2);
  EXPECT_DOUBLE_EQ(m.exact_match, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.hamming_loss, 2.0 / 6);
  EXPECT_EQ(m.support, (std::vector<int>{2, 1}));
  EXPECT_DOUBLE_EQ(m.sensitivity[0], 1.0);
  EXPECT_DOUBLE_EQ(m.specificity[0], 1.0);
  EXPECT_DOUBLE_EQ(m.sensitivity[1], 0.0);
  EXPECT_DOUBLE_EQ(m.specificity[1], 0.5);
  EXPECT_EQ(m.any_support, 2);
  EXPECT_EQ(m.n_normal, 1);
  EXPECT_DOUBLE_EQ(m.any_sensitivity, 1.0);
  EXPECT_DOUBLE_EQ(m.any_specificity, 0.0);
  // Any-disease score 1 - prod(1 - p): A 0.76, B 0.76, C 0.91 -> the normal row ranks first.
  EXPECT_DOUBLE_EQ(m.any_auroc, 0.0);
  // B's fold threshold 0.4 for label 1 makes B right: p >= threshold counts as positive.
  rows[1].thresholds = {0.5f, 0.4f};
  m = me::compute_multilabel_metrics(rows, 2);
  EXPECT_DOUBLE_EQ(m.exact_match, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.hamming_loss, 1.0 / 6);
}

TEST(MultiLabel, PatientRowsAndErrors) {
  me::Predictions rows = {row("p", "r1", {1}, {0.2f, 0.6f, 0.1f, 0.0f}), row("p", "r2", {1}, {0.4f, 0.8f, 0.3f, 0.2f}),
                          row("q", "r3", {}, {0.1f, 0.1f, 0.1f, 0.1f}, 1)};
  auto pts = me::aggregate_patients_multilabel(rows);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].patient, "p");
  EXPECT_EQ(pts[0].true_labels, (std::vector<int>{1}));
  EXPECT_EQ(pts[0].true_class, -1);
  EXPECT_NEAR(pts[0].probs[0], 0.3f, 1e-6);
  EXPECT_NEAR(pts[0].probs[1], 0.7f, 1e-6);
  EXPECT_EQ(pts[1].fold, 1);
  auto bad = rows;
  bad[1].true_labels = {0, 1};
  EXPECT_THROW(me::aggregate_patients_multilabel(bad), murmur::Error);
  bad = rows;
  bad[1].thresholds = {0.5f, 0.5f, 0.5f, 0.5f};
  EXPECT_THROW(me::aggregate_patients_multilabel(bad), murmur::Error);
  bad = rows;
  bad[1].fold = 3;
  EXPECT_THROW(me::aggregate_patients_multilabel(bad), murmur::Error);
  bad = rows;
  bad[0].true_labels = {4};
  EXPECT_THROW(me::evaluate_multilabel(bad, kLabels, me::BootstrapConfig{0}), murmur::Error);
  EXPECT_THROW(me::evaluate_multilabel(rows, {"AR", "AS", "MR", "N"}, me::BootstrapConfig{0}), murmur::Error);
}

TEST(MultiLabel, EvaluateSchemaAndSeededPatientBootstrap) {
  auto rows = synthetic();
  me::BootstrapConfig boot;
  boot.n_resamples = 200, boot.seed = 3;
  auto a = me::evaluate_multilabel(rows, kLabels, boot);
  auto b = me::evaluate_multilabel(rows, kLabels, boot);
  EXPECT_EQ(a.dump(), b.dump());  // deterministic
  EXPECT_EQ(a["schema"], "murmur.eval.multilabel/1");
  EXPECT_EQ(a["n_patients"], 40);
  EXPECT_EQ(a["n_recordings"], 160);
  EXPECT_EQ(a["patient"]["n_rows"], 40);
  EXPECT_EQ(a["recording"]["n_rows"], 160);
  for (const char* level : {"patient", "recording"})
    for (const auto& pc : a[level]["per_class"])
      for (const char* key : {"auroc", "average_precision", "sensitivity", "specificity"}) {
        double v = pc[key]["value"], lo = pc[key]["ci_low"], hi = pc[key]["ci_high"];
        EXPECT_LE(lo, v + 1e-12) << level << " " << pc["class"] << " " << key;
        EXPECT_GE(hi, v - 1e-12) << level << " " << pc["class"] << " " << key;
      }
  // Patients resampled, not recordings: the recording-level interval is about as wide as the
  // patient-level one, not half as wide (4 correlated recordings per patient).
  auto width = [](const nlohmann::json& st) { return st["ci_high"].get<double>() - st["ci_low"].get<double>(); };
  EXPECT_GT(width(a["recording"]["macro_auroc"]), 0.5 * width(a["patient"]["macro_auroc"]));
  boot.seed = 4;
  auto c = me::evaluate_multilabel(rows, kLabels, boot);
  EXPECT_NE(c["patient"]["macro_auroc"]["ci_low"], a["patient"]["macro_auroc"]["ci_low"]);
  EXPECT_EQ(c["patient"]["macro_auroc"]["value"], a["patient"]["macro_auroc"]["value"]);
  // Label sets: patients 0, 5, 10, ... are normal; names in class order joined by '+'.
  const auto& ls = a["patient"]["label_sets"];
  std::vector<std::string> sets = ls["sets"];
  EXPECT_NE(std::find(sets.begin(), sets.end(), "N"), sets.end());
  EXPECT_LE(sets.size(), 9u);
  int total = 0;
  for (const auto& r : ls["counts"])
    for (const auto& x : r) total += x.get<int>();
  EXPECT_EQ(total, 40);
  EXPECT_EQ(a["patient"]["pr"].size(), 4u);
  EXPECT_EQ(a["folds"]["patient"]["n"], 5);
  EXPECT_EQ(a["thresholds"], "per fold, from the predictions");
}

TEST(MultiLabel, FiveClassViewLeavesOtherOutputsOut) {
  // Pooled's outputs: the valve diseases among abnormal and murmur, which the view leaves out.
  const std::vector<std::string> labels = {"AS", "abnormal", "AR", "MR", "murmur", "MS"};
  me::Predictions rows = {row("p", "r1", {1, 2, 4}, {0.5f, 0.99f, 0.2f, 0.1f, 0.97f, 0.25f}),  // AR (+ abnormal, murmur)
                          row("q", "r2", {}, {0.5f, 0.01f, 0.2f, 0.1f, 0.02f, 0.25f})};
  rows[0].thresholds = {0.4f, 0.5f, 0.3f, 0.6f, 0.5f, 0.7f};
  rows[1].unknown_labels = {4};
  auto valves = me::valve_rows(rows, labels);
  ASSERT_EQ(valves.size(), 2u);
  EXPECT_EQ(valves[0].probs, (std::vector<float>{0.2f, 0.5f, 0.1f, 0.25f}));  // AR, AS, MR, MS
  EXPECT_EQ(valves[0].thresholds, (std::vector<float>{0.3f, 0.4f, 0.6f, 0.7f}));
  EXPECT_EQ(valves[0].true_labels, (std::vector<int>{0}));
  EXPECT_TRUE(valves[1].unknown_labels.empty());
  EXPECT_TRUE(valves[1].thresholds.empty());
  // The same view as the four valve outputs alone give (FiveClassViewByHand's numbers).
  auto five = me::five_class_view(rows, labels);
  ASSERT_EQ(five.size(), 2u);
  std::vector<double> want = {0.0675 / 0.7275, 0.27 / 0.7275, 0.03 / 0.7275, 0.09 / 0.7275, 0.27 / 0.7275};
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(five[0].probs[c], want[c], 1e-6) << c;
  EXPECT_EQ(five[0].true_class, 0);
  EXPECT_EQ(five[1].true_class, 4);
  EXPECT_THROW(me::valve_rows(rows, {"AS", "abnormal", "AR", "XX", "murmur", "MS"}), murmur::Error);
}

TEST(MultiLabel, FiveClassViewByHand) {
  // Labels in another order than kClassNames: AS, AR, MR, MS.
  const std::vector<std::string> labels = {"AS", "AR", "MR", "MS"};
  me::Predictions rows = {row("p", "r1", {1}, {0.5f, 0.2f, 0.1f, 0.25f}),  // AR
                          row("q", "r2", {}, {0.5f, 0.2f, 0.1f, 0.25f}),   // normal
                          row("m", "r3", {0, 2}, {0.5f, 0.2f, 0.1f, 0.25f})};  // two diseases: dropped
  auto five = me::five_class_view(rows, labels);
  ASSERT_EQ(five.size(), 2u);
  // 1 - p = .5 .8 .9 .75: P(N) = .27, only AS .27, only AR .0675, only MR .03, only MS .09; sum .7275.
  std::vector<double> want = {0.0675 / 0.7275, 0.27 / 0.7275, 0.03 / 0.7275, 0.09 / 0.7275, 0.27 / 0.7275};
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(five[0].probs[c], want[c], 1e-6) << c;
  EXPECT_EQ(five[0].true_class, 0);  // AR
  EXPECT_EQ(five[1].true_class, 4);  // N
  EXPECT_TRUE(five[0].true_labels.empty());
  EXPECT_EQ(five[1].patient, "q");
  EXPECT_THROW(me::five_class_view(rows, {"AS", "AR", "MR", "XX"}), murmur::Error);
  // The existing 5-class evaluation takes the view.
  auto j = me::evaluate(five, {"AR", "AS", "MR", "MS", "N"}, me::BootstrapConfig{0});
  EXPECT_EQ(j["patient"]["n_rows"], 2);
}

TEST(MultiLabel, CsvRoundTripWithThresholds) {
  me::Predictions rows = {row("patient_1", "a.wav", {0, 1}, {0.9f, 1.0f / 3.0f, 0.1f, 0.2f}, 2),
                          row("patient_2", "b,\"c\".wav", {}, {0.1f, 0.2f, 0.3f, 0.4f}, 1)};
  rows[0].thresholds = {0.5f, 0.35f, 0.6f, 0.45f};
  rows[1].thresholds = {0.4f, 0.3f, 0.7f, 0.55f};
  rows[1].repeat = 1;
  std::string text = me::predictions_to_csv(rows, kLabels);
  EXPECT_EQ(text.rfind("file,patient,site,position,fold,repeat,true_class,p_AR,p_AS,p_MR,p_MS,t_AR,t_AS,t_MR,t_MS\n", 0), 0u)
      << text;
  EXPECT_NE(text.find(",AR+AS,"), std::string::npos) << text;
  EXPECT_NE(text.find(",N,"), std::string::npos) << text;
  std::vector<std::string> names;
  auto back = me::predictions_from_csv(text, "ml.csv", &names);
  EXPECT_EQ(names, kLabels);
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(back[i].file, rows[i].file);
    EXPECT_EQ(back[i].true_class, -1);
    EXPECT_EQ(back[i].true_labels, rows[i].true_labels);
    EXPECT_EQ(back[i].probs, rows[i].probs);
    EXPECT_EQ(back[i].thresholds, rows[i].thresholds);
    EXPECT_EQ(back[i].fold, rows[i].fold);
    EXPECT_EQ(back[i].repeat, rows[i].repeat);
  }
  EXPECT_EQ(me::predictions_to_csv(back, names), text);
  // Without thresholds there are no t_ columns; label order in the file does not matter.
  rows[0].thresholds.clear(), rows[1].thresholds.clear();
  std::string plain = me::predictions_to_csv(rows, kLabels);
  EXPECT_EQ(plain.find("t_AR"), std::string::npos);
  const std::string head = "file,patient,site,position,fold,repeat,true_class,p_AR,p_AS,p_MR,p_MS\n";
  auto one = me::predictions_from_csv(head + "f,p,Aor,sit,0,0,MS+AR,0.1,0.2,0.3,0.4\n", "x.csv");
  EXPECT_EQ(one[0].true_labels, (std::vector<int>{0, 3}));
  EXPECT_THROW(me::predictions_from_csv(head + "f,p,Aor,sit,0,0,AR+XX,0.1,0.2,0.3,0.4\n", "x.csv"), murmur::Error);
  EXPECT_THROW(me::predictions_from_csv(head + "f,p,Aor,sit,0,0,AR+AR,0.1,0.2,0.3,0.4\n", "x.csv"), murmur::Error);
  const std::string thead = "file,patient,site,position,fold,repeat,true_class,p_AR,p_AS,t_AR,t_AS\n";
  EXPECT_THROW(me::predictions_from_csv(thead + "f,p,Aor,sit,0,0,AR,0.1,0.2,0.5,\n", "x.csv"), murmur::Error);
  EXPECT_THROW(me::predictions_from_csv("file,patient,site,position,fold,repeat,true_class,p_AR,p_AS,t_AS,t_AR\n", "x.csv"),
               murmur::Error);
  EXPECT_TRUE(me::is_multi_label(kLabels));
  EXPECT_FALSE(me::is_multi_label({"AR", "AS", "MR", "MS", "N"}));
}
