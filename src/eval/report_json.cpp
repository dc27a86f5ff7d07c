#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>
#include <tuple>

#include "data/recording.h"
#include "eval/multilabel.h"
#include "eval/report.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/version.h"
#include "util/json.h"

namespace murmur::eval {

namespace {

nlohmann::json floats(const std::vector<float>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (float x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
  return a;
}

}  // namespace

nlohmann::json run_section(const nlohmann::json& meta) {
  nlohmann::json run = nlohmann::json::object();
  if (meta.is_object())
    for (auto it = meta.begin(); it != meta.end(); ++it)
      if (it.key() != "title") run[it.key()] = it.value();
  if (!run.contains("murmur_version")) run["murmur_version"] = MURMUR_VERSION;
  if (!run.contains("git_commit")) run["git_commit"] = util::git_commit();
  if (!run.contains("created_utc")) {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    run["created_utc"] = buf;
  }
  for (const char* key : {"config", "data_fingerprint", "wall_time_s"})
    if (!run.contains(key)) run[key] = nullptr;
  if (!run.contains("machine") || !run["machine"].is_object()) run["machine"] = nlohmann::json::object();
  if (!run["machine"].contains("cores")) run["machine"]["cores"] = std::thread::hardware_concurrency();
  if (!run["machine"].contains("os")) {
    utsname u{};
    if (uname(&u) == 0) run["machine"]["os"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  }
  return run;
}

nlohmann::json build_report(const Predictions& predictions, const Curves& curves,
                            const std::vector<std::string>& class_names, const nlohmann::json& meta,
                            const BootstrapConfig& boot, Fusion fusion) {
  if (!meta.is_null() && !meta.is_object()) throw Error("build_report: meta must be a JSON object");
  nlohmann::json r;
  r["schema"] = "murmur.report/1";
  r["title"] = meta.is_object() && meta.contains("title") ? meta["title"] : nlohmann::json("murmur cross-validation report");
  r["run"] = run_section(meta);
  if (is_multi_label(class_names)) {
    r["metrics"] = evaluate_multilabel(predictions, class_names, boot);
    // The 5-class question on the single-label patients, if the labels include the four valve diseases.
    Predictions five = has_valve_outputs(class_names) ? five_class_view(predictions, class_names) : Predictions{};
    if (five.empty()) {
      r["five_class"] = nullptr;
    } else {
      r["five_class"] = evaluate(five, data::kClassNames, boot, fusion);
      size_t n = r["five_class"]["n_patients"].get<size_t>();
      r["five_class"]["n_single_label_patients"] = n;
      r["five_class"]["note"] =
          "The 5-class question (AR, AS, MR, MS or N) answered by the multi-label model on the " +
          std::to_string(n) + " single-label patients (of " + r["metrics"]["n_patients"].dump() +
          "), assuming independent labels: P(N) = prod(1 - p_k), P(only k) = p_k prod_{j!=k}(1 - p_j), "
          "renormalised; predicted class = the largest.";
    }
  } else {
    r["metrics"] = evaluate(predictions, class_names, boot, fusion);
  }
  r["curves"] = nlohmann::json::array();
  std::vector<Curve> sorted = curves;
  std::sort(sorted.begin(), sorted.end(), [](const Curve& a, const Curve& b) {
    return std::tie(a.repeat, a.fold) < std::tie(b.repeat, b.fold);
  });
  for (const auto& c : sorted)
    r["curves"].push_back({{"repeat", c.repeat}, {"fold", c.fold}, {"train_loss", floats(c.train_loss)},
                           {"val_loss", floats(c.val_loss)}, {"val_acc", floats(c.val_acc)}});
  return r;
}

void write_report(const std::string& run_dir, const nlohmann::json& report) {
  std::string html = render_html(report);  // first: a report that cannot render is not written at all
  util::write_file_atomic(run_dir + "/report.json", util::json_text(report, 1) + "\n");
  util::write_file_atomic(run_dir + "/report.html", html);
}

}  // namespace murmur::eval
