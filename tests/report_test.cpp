// report.json / report.html from synthetic predictions: structure, escaping, plain-text tables,
// and a real render in headless Chromium (skipped when Chromium is absent; .ci installs it).
// The rendered screenshots stay in <build>/test_artifacts/ for a person to look at.
#include "eval/report.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/version.h"

namespace me = murmur::eval;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kClasses = {"AR", "AS", "MR", "MS", "N"};

// 30 patients x 8 recordings, 5 folds; the model leans right for ~70% of patients.
me::Predictions synthetic_run() {
  const char* sites[] = {"Aor", "Mit", "Pul", "Tri"};
  const char* positions[] = {"sit", "sup"};
  uint32_t s = 12345;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return (s >> 8) / float(1 << 24); };
  me::Predictions rows;
  for (int p = 0; p < 30; ++p) {
    int truth = p % 5;
    int lean = rnd() < 0.7f ? truth : (truth + 1 + int(rnd() * 4) % 4) % 5;
    for (int si = 0; si < 4; ++si)
      for (int po = 0; po < 2; ++po) {
        me::Prediction x;
        x.patient = "patient_" + std::to_string(p);
        x.file = "rec_" + std::to_string(p) + "_" + positions[po] + "_" + sites[si];
        x.site = sites[si], x.position = positions[po], x.fold = (p / 6) % 5, x.true_class = truth;
        std::vector<float> logits(5);
        for (auto& l : logits) l = rnd();
        logits[rnd() < 0.75f ? lean : int(rnd() * 5) % 5] += 1.5f;
        float sum = 0;
        for (auto& l : logits) sum += (l = std::exp(l));
        for (auto& l : logits) l /= sum;
        x.probs = logits;
        rows.push_back(x);
      }
  }
  return rows;
}

me::Curves synthetic_curves() {
  me::Curves curves;
  for (int f = 0; f < 5; ++f) {
    me::Curve c;
    c.fold = f;
    for (int e = 0; e < 20; ++e) {
      c.train_loss.push_back(1.6f * std::exp(-0.15f * e) + 0.05f * f);
      c.val_loss.push_back(1.6f * std::exp(-0.1f * e) + 0.2f + 0.03f * f);
      c.val_acc.push_back(0.2f + 0.5f * (1 - std::exp(-0.2f * e)) + 0.02f * f);
    }
    curves.push_back(c);
  }
  return curves;
}

nlohmann::json synthetic_report(const std::string& title = "Seed CNN, 5-fold CV <BMD-HS> & \"friends\"") {
  nlohmann::json meta = {{"title", title},
                         {"config", {{"features", {{"n_mels", 30}}}, {"note", "<script>alert(1)</script>"}}},
                         {"data_fingerprint", "0123456789abcdef"},
                         {"wall_time_s", 754.2},
                         {"created_utc", "2026-11-26T09:30:00Z"},
                         {"machine", {{"threads", 2}}}};
  me::BootstrapConfig boot;
  boot.n_resamples = 200;
  return me::build_report(synthetic_run(), synthetic_curves(), kClasses, meta, boot);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string fixed3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

// Folder for files a person may want to look at after the tests: <build>/test_artifacts.
std::string artifact_dir() {
  fs::path dir = fs::path(MURMUR_BINARY).parent_path() / "test_artifacts";
  fs::create_directories(dir);
  return dir.string();
}

std::string chromium_path() {
  if (const char* env = std::getenv("MURMUR_CHROMIUM")) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

int run_chromium(const std::string& chromium, const std::string& args, const std::string& log) {
  std::string profile = murmur::test::temp_dir("report_chromium_profile");
  std::string cmd = "timeout 120 " + chromium +
                    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --user-data-dir=" + profile + " " + args + " 2>" + log;
  int rc = std::system(cmd.c_str());
  fs::remove_all(profile);
  return rc;
}

}  // namespace

TEST(Report, JsonHoldsEverything) {
  auto r = synthetic_report();
  EXPECT_EQ(r["schema"], "murmur.report/1");
  EXPECT_EQ(r["run"]["data_fingerprint"], "0123456789abcdef");
  EXPECT_EQ(r["run"]["config"]["features"]["n_mels"], 30);
  EXPECT_DOUBLE_EQ(r["run"]["wall_time_s"].get<double>(), 754.2);
  EXPECT_EQ(r["run"]["murmur_version"], MURMUR_VERSION);
  EXPECT_EQ(r["run"]["git_commit"], murmur::util::git_commit());
  EXPECT_GE(r["run"]["machine"]["cores"].get<int>(), 1);
  EXPECT_EQ(r["run"]["machine"]["threads"], 2);
  EXPECT_EQ(r["metrics"]["schema"], "murmur.eval.metrics/1");
  EXPECT_EQ(r["metrics"]["n_patients"], 30);
  ASSERT_EQ(r["curves"].size(), 5u);
  EXPECT_EQ(r["curves"][2]["val_acc"].size(), 20u);
  EXPECT_FALSE(r.contains("title") && r["run"].contains("title"));
}

// The page states the fusion rule that made the patient-level numbers, the data fingerprint and
// the commit; the stylesheet is the shared one (src/web/style.css), inlined.
TEST(Report, HtmlStatesFusionFingerprintAndCommit) {
  nlohmann::json meta = {{"title", "fusion"}, {"data_fingerprint", "fp-7e3a91"}, {"git_commit", "abc1234"}};
  me::BootstrapConfig boot;
  boot.n_resamples = 20;
  auto geo = me::build_report(synthetic_run(), {}, kClasses, meta, boot, me::Fusion::kGeometric);
  EXPECT_EQ(geo["metrics"]["patient_fusion"], "geometric");
  std::string html = me::render_html(geo);
  EXPECT_NE(html.find(me::html_escape(me::fusion_rule(me::Fusion::kGeometric))), std::string::npos);
  EXPECT_NE(html.find("geometric mean"), std::string::npos);
  EXPECT_EQ(html.find(me::html_escape(me::fusion_rule(me::Fusion::kMean))), std::string::npos);
  EXPECT_EQ(html.find("the mean over its recordings"), std::string::npos);
  EXPECT_NE(html.find("<td>Data fingerprint</td><td class=\"wrap\">fp-7e3a91 (commit abc1234)</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<body class=\"report\">"), std::string::npos);
  EXPECT_NE(html.find(".report h2"), std::string::npos) << "style.css inlined";

  auto mean = me::build_report(synthetic_run(), {}, kClasses, meta, boot);
  EXPECT_EQ(mean["metrics"]["patient_fusion"], "mean");
  html = me::render_html(mean);
  EXPECT_NE(html.find(me::html_escape(me::fusion_rule(me::Fusion::kMean))), std::string::npos);
  EXPECT_EQ(html.find("geometric"), std::string::npos);

  // Reports written before fusion had its own key: inside "bootstrap", else mean.
  auto old = geo;
  old["metrics"].erase("patient_fusion");
  old["metrics"]["bootstrap"]["patient_fusion"] = "geometric";
  EXPECT_NE(me::render_html(old).find("geometric mean"), std::string::npos);
  old["metrics"]["bootstrap"].erase("patient_fusion");
  EXPECT_EQ(me::render_html(old).find("geometric"), std::string::npos);
}

TEST(Report, HtmlIsSelfContainedEscapedAndComplete) {
  auto r = synthetic_report();
  std::string html = me::render_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Title escaped everywhere, raw never.
  EXPECT_NE(html.find("<title>Seed CNN, 5-fold CV &lt;BMD-HS&gt; &amp; &quot;friends&quot;</title>"), std::string::npos);
  EXPECT_EQ(html.find("<BMD-HS>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "config text must be escaped, and no JS at all";
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // Offline: nothing fetched (the only URL is the SVG namespace, which is never loaded).
  EXPECT_EQ(count(html, "http"), count(html, "http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // 2 confusion matrices + 2 sens/spec bar charts + 2 ROC plots + loss + accuracy.
  EXPECT_EQ(count(html, "<svg"), 8u);
  EXPECT_EQ(count(html, "</svg>"), 8u);
  for (const char* section : {"Headline metrics", "Confusion matrices", "Sensitivity and specificity",
                              "ROC curves", "Training curves", "By auscultation site", "By position",
                              "Per fold", "0123456789abcdef", "12.6 min", "Tri", "sup"})
    EXPECT_NE(html.find(section), std::string::npos) << section;
  // Headline numbers appear as printed by the report.
  const auto& m = r["metrics"];
  for (const char* level : {"patient", "recording"})
    for (const char* key : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"}) {
      EXPECT_NE(html.find("<b>" + fixed3(m[level][key]["value"].get<double>()) + "</b>"), std::string::npos)
          << level << " " << key;
      EXPECT_NE(html.find(fixed3(m[level][key]["ci_low"].get<double>()) + "&ndash;"), std::string::npos)
          << level << " " << key;
    }
  // Confusion matrix cells: every patient-level count is drawn.
  EXPECT_GE(count(html, "class=\"n\""), 50u);
}

TEST(Report, NoCurvesMeansNoTrainingFigures) {
  auto r = synthetic_report();
  r["curves"] = nlohmann::json::array();
  std::string html = me::render_html(r);
  EXPECT_EQ(count(html, "<svg"), 6u);
  EXPECT_EQ(html.find("Training curves"), std::string::npos);
  EXPECT_THROW(me::render_html(nlohmann::json::object()), murmur::Error);
}

TEST(Report, WriteReportWritesBothFiles) {
  auto r = synthetic_report();
  std::string dir = murmur::test::temp_dir("report_write");
  me::write_report(dir + "/run", r);
  auto back = nlohmann::json::parse(murmur::util::read_file(dir + "/run/report.json"));
  EXPECT_EQ(back, r);
  EXPECT_EQ(murmur::util::read_file(dir + "/run/report.html"), me::render_html(r));
  fs::remove_all(dir);
}

TEST(Report, PlainTextTables) {
  std::string t = me::format_table({"metric", "value"}, {{"accuracy", "0.812"}, {"macro AUROC", "0.9"}});
  EXPECT_EQ(t,
            "metric       value\n"
            "------------------\n"
            "accuracy     0.812\n"
            "macro AUROC    0.9\n");
  EXPECT_EQ(me::format_stat({{"value", 0.8123}, {"ci_low", 0.7}, {"ci_high", 0.9}}), "0.812 [0.700, 0.900]");
  EXPECT_EQ(me::format_stat({{"value", nullptr}, {"ci_low", nullptr}, {"ci_high", nullptr}}), "n/a");
  auto r = synthetic_report();
  std::string s = me::format_summary(r);
  EXPECT_NE(s.find("Balanced accuracy"), std::string::npos) << s;
  EXPECT_NE(s.find(me::format_stat(r["metrics"]["patient"]["balanced_accuracy"])), std::string::npos) << s;
  EXPECT_EQ(me::format_summary(r["metrics"]), s);  // accepts an evaluate() result too
}

// A multi-label run (no "N" among the class names): multi-label metrics, the 5-class view, and a
// page with the per-disease table, label-set confusion, ROC and precision-recall curves.
me::Predictions synthetic_multilabel_run() {
  uint32_t s = 99;
  auto rnd = [&] { s = s * 1664525u + 1013904223u; return (s >> 8) / float(1 << 24); };
  me::Predictions rows;
  for (int p = 0; p < 30; ++p) {
    std::vector<int> labels;
    if (p % 3 == 1) labels = {p % 4};                  // single disease
    if (p % 3 == 2) labels = {p % 2, 2 + (p / 3) % 2};  // two diseases
    for (int r = 0; r < 4; ++r) {
      me::Prediction x;
      x.patient = "patient_" + std::to_string(p), x.file = x.patient + "_r" + std::to_string(r);
      x.site = r % 2 ? "Aor" : "Mit", x.position = r < 2 ? "sit" : "sup";
      x.fold = p % 5, x.true_class = -1, x.true_labels = labels;
      for (int c = 0; c < 4; ++c) {
        bool has = std::find(labels.begin(), labels.end(), c) != labels.end();
        x.probs.push_back(std::clamp((has ? 0.65f : 0.3f) + 0.6f * (rnd() - 0.5f), 0.0f, 1.0f));
      }
      x.thresholds = {0.5f, 0.45f, 0.5f, 0.4f + 0.02f * x.fold};
      rows.push_back(x);
    }
  }
  return rows;
}

TEST(Report, MultiLabelReportJsonHtmlAndSummary) {
  const std::vector<std::string> labels = {"AR", "AS", "MR", "MS"};
  me::BootstrapConfig boot;
  boot.n_resamples = 50;
  nlohmann::json meta = {{"title", "valves <multi-label>"}, {"created_utc", "2026-11-26T09:30:00Z"}};
  auto r = me::build_report(synthetic_multilabel_run(), synthetic_curves(), labels, meta, boot, me::Fusion::kGeometric);
  EXPECT_EQ(r["metrics"]["schema"], "murmur.eval.multilabel/1");
  EXPECT_EQ(r["metrics"]["n_patients"], 30);
  ASSERT_TRUE(r["five_class"].is_object());
  EXPECT_EQ(r["five_class"]["schema"], "murmur.eval.metrics/1");
  EXPECT_EQ(r["five_class"]["n_single_label_patients"], 20);  // 10 patients have two diseases
  EXPECT_EQ(r["five_class"]["patient_fusion"], "geometric");
  EXPECT_NE(r["five_class"]["note"].get<std::string>().find("20 single-label patients (of 30)"), std::string::npos);

  std::string html = me::render_html(r);
  for (const char* section : {"Per disease", "Average precision", "Over all diseases", "Exact match", "Hamming loss",
                              "Any valve disease: sensitivity", "Label-set confusion", "ROC curves per disease",
                              "Precision-recall curves per disease", "The 5-class question", "5-class: Headline metrics",
                              "5-class: Confusion matrices", "Training curves", "Labels (multi-label; normal = none)"})
    EXPECT_NE(html.find(section), std::string::npos) << section;
  // The per-disease table: every disease's AUROC and AP at patient level, as printed.
  for (const auto& pc : r["metrics"]["patient"]["per_class"]) {
    EXPECT_NE(html.find("<tr><td>" + pc["class"].get<std::string>() + "</td><td>" + pc["support"].dump() + "</td><td><b>" +
                        fixed3(pc["auroc"]["value"].get<double>()) + "</b>"),
              std::string::npos) << pc["class"];
    EXPECT_NE(html.find("(AP " + fixed3(pc["average_precision"]["value"].get<double>()) + ")"), std::string::npos);
  }
  // Multi-label: 2 sens/spec + 2 label-set confusions + 2 ROC + 2 PR; training: 2; 5-class: 2 + 2 + 2.
  EXPECT_EQ(count(html, "<svg"), 16u);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(html.find("<multi-label>"), std::string::npos);
  EXPECT_EQ(count(html, "http"), count(html, "http://www.w3.org/2000/svg"));

  std::string s = me::format_summary(r);
  for (const char* part : {"Patient level per disease", "average precision", "Macro AUROC", "Exact match",
                           "Any disease: sensitivity", "5-class view on 20 single-label patients: balanced accuracy"})
    EXPECT_NE(s.find(part), std::string::npos) << part << "\n" << s;
  EXPECT_NE(s.find(me::format_stat(r["metrics"]["patient"]["per_class"][2]["average_precision"])), std::string::npos);
  std::string dir = murmur::test::temp_dir("report_ml");
  me::write_report(dir, r);
  EXPECT_EQ(nlohmann::json::parse(murmur::util::read_file(dir + "/report.json")), r);
  fs::remove_all(dir);
}

TEST(Report, RendersInHeadlessChromium) {
  std::string chromium = chromium_path();
  if (chromium.empty())
    GTEST_SKIP() << "Chromium is not installed (/usr/bin/chromium; the CI setup installs it): "
                    "skipping the real render of report.html";
  std::string dir = artifact_dir();
  auto r = synthetic_report("Report render check");
  me::write_report(dir + "/report_render", r);
  std::string url = "file://" + fs::absolute(dir + "/report_render/report.html").string();

  std::string png = dir + "/report_render/screenshot_1200x2000.png";
  fs::remove(png);
  int rc = run_chromium(chromium, "--screenshot=" + png + " --window-size=1200,2000 " + url,
                        dir + "/report_render/chromium_screenshot.log");
  ASSERT_EQ(rc, 0) << "chromium failed; see " << dir << "/report_render/chromium_screenshot.log";
  ASSERT_TRUE(fs::exists(png)) << "no screenshot written";

  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, png.c_str())) << image.message;
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) << image.message;
  EXPECT_EQ(image.width, 1200u);
  EXPECT_EQ(image.height, 2000u);
  std::set<uint32_t> colours;
  size_t non_white = 0, n = size_t(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char* p = &pixels[3 * i];
    colours.insert(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]);
    if (p[0] < 245 || p[1] < 245 || p[2] < 245) ++non_white;
  }
  // Text, heatmap shades and coloured lines: a blank or error page has a handful of colours.
  EXPECT_GT(colours.size(), 200u) << "screenshot looks blank: " << png;
  EXPECT_GT(double(non_white) / n, 0.03) << "screenshot is almost all white: " << png;
  EXPECT_LT(double(non_white) / n, 0.8) << "screenshot is mostly dark: " << png;

  std::string dom_file = dir + "/report_render/dom.html";
  rc = run_chromium(chromium, "--dump-dom " + url + " >" + dom_file, dir + "/report_render/chromium_dom.log");
  ASSERT_EQ(rc, 0) << "chromium --dump-dom failed";
  std::string dom = murmur::util::read_file(dom_file);
  EXPECT_NE(dom.find("<title>Report render check</title>"), std::string::npos);
  EXPECT_EQ(count(dom, "<svg"), 8u);
  EXPECT_NE(dom.find("Headline metrics"), std::string::npos);
}
