#include "cli/predict_common.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/model_commands.h"
#include "data/index.h"
#include "pipeline/answer.h"
#include "util/error.h"
#include "util/json.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::cli {

namespace {

void print_table(const nlohmann::json& out, const std::vector<std::string>& names) {
  std::printf("%-40s %-6s", "recording", "class");
  for (auto& n : names) std::printf(" %6s", n.c_str());
  std::printf("\n");
  auto row = [&](const std::string& name, const nlohmann::json& r) {
    std::printf("%-40s %-6s", name.c_str(), r["class"].get<std::string>().c_str());
    for (auto& n : names) std::printf(" %6.3f", r["probabilities"][n].get<double>());
    if (r.contains("verdict")) std::printf("  %s", r["verdict"].get<std::string>().c_str());
    std::printf("\n");
    if (r.contains("explanation")) std::printf("    why: %s\n", r["explanation"]["sentence"].get<std::string>().c_str());
  };
  for (auto& r : out["recordings"]) row(r["file"].get<std::string>(), r);
  const std::string fusion = out["patient_fusion"].get<std::string>();
  for (auto& r : out["patients"]) row("patient " + r["patient"].get<std::string>() + " (" + fusion + ")", r);
}

// A patient's answer explained by the recording most sure of each of its classes ("findings",
// or the class), with that recording's site: "AS: systolic, 100-200 Hz, strongest at Aor (...)".
nlohmann::json patient_explanation(const nlohmann::json& answer, const std::vector<size_t>& members,
                                   const std::vector<std::string>& files, const std::vector<pipeline::Explanation>& why,
                                   const std::vector<std::string>& names) {
  std::vector<std::string> classes;
  if (answer.contains("findings")) classes = answer["findings"].get<std::vector<std::string>>();
  else classes.push_back(answer["class"].get<std::string>());
  nlohmann::json out = {{"classes", nlohmann::json::array()}, {"sentence", ""}};
  std::string said;
  for (const auto& cls : classes) {
    const size_t k = size_t(std::find(names.begin(), names.end(), cls) - names.begin());
    if (k >= names.size()) continue;
    std::vector<const pipeline::Explanation*> of;
    for (size_t i : members) of.push_back(&why[i]);
    const size_t best = members[pipeline::most_sure(of, k)];
    const auto n = data::parse_recording_name(stem_of(files[best]));
    const std::string site = n ? n->site : "";
    auto c = pipeline::to_json(why[best].all[k]);
    c["strongest_at"] = site;
    c["recording"] = files[best];
    c["sentence"] = pipeline::sentence(why[best].all[k], site);
    said += (said.empty() ? "" : "; ") + c["sentence"].get<std::string>();
    out["classes"].push_back(c);
  }
  out["sentence"] = said.empty() ? "no valve disease found: nothing to explain" : said;
  return out;
}

}  // namespace

std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.substr(0, name.find_last_of('.'));
}

CLI::App* add_predict_command(CLI::App& app, PredictArgs& args) {
  auto* cmd = app.add_subcommand("predict", model_command_about("predict"));
  cmd->footer("A file that cannot be classified is reported and skipped; the exit code is then 3. Native, valves "
              "and pooled models run without LibTorch (MURMUR_LIBTORCH=1 in the environment: in LibTorch all the "
              "same; MURMUR_LIBTORCH=0: never in LibTorch, an error instead).");
  cmd->add_option("-m,--model", args.model, "model.pth (murmur's or the reference's) or a cv run folder")->required();
  cmd->add_option("--set", args.eval_overrides, kEvalSetHelp);
  cmd->add_option("files", args.files, "Recordings (WAV/FLAC/OGG, any rate) or folders of them")->required();
  cmd->add_flag("--explain", args.explain,
                "Say why: how far each answer falls with the systolic frames, the diastolic frames or one "
                "frequency band masked (presets native and valves; recordings of 1 s or more)");
  cmd->add_option("--pictures", args.pictures_dir,
                  "With --explain: draw each recording's explanation to DIR/NAME.svg (waveform and spectrogram "
                  "with the phases shaded, the band relied on outlined, the probabilities with each part masked)");
  cmd->add_option("--segmenter", args.explain_config.segmenter,
                  "With --explain: where systole and diastole are: physionet2016 (fitted on annotated hearts) or "
                  "synthetic (the first segmenter)")
      ->capture_default_str()->check(CLI::IsMember({"physionet2016", "synthetic"}));
  return cmd;
}

PredictOutcome answer_each(const std::vector<std::string>& files, int workers,
                           const std::function<std::vector<double>(size_t)>& answer) {
  PredictOutcome out{std::vector<std::vector<double>>(files.size()), std::vector<std::string>(files.size())};
  util::Progress bar("predict", long(files.size()), global().quiet || files.size() < 2);
  util::parallel_for(files.size(), workers, [&](size_t i) {
    try {
      out.answers[i] = answer(i);
    } catch (const Error& e) {
      out.failed[i] = e.what();
    } catch (const std::exception& e) {  // never lose the batch to one file
      out.failed[i] = files[i] + ": internal error: " + e.what();
    }
    bar.tick();
  });
  bar.done();
  return out;
}

nlohmann::json predict_report(const PredictModel& model, const std::vector<std::string>& files,
                              const std::vector<std::vector<double>>& answers, const std::vector<std::string>& failed,
                              const PredictExtras& extras) {
  nlohmann::json out = {{"model", model.path}, {"preset", model.preset},
                        {"n_models", model.n_models}, {"recordings", nlohmann::json::array()},
                        {"patients", nlohmann::json::array()}, {"skipped", nlohmann::json::array()},
                        {"patient_fusion", eval::fusion_name(model.fusion)}};
  std::map<std::string, std::vector<size_t>> patients;  // recordings named CLASS_PID_POS_SITE
  for (size_t i = 0; i < files.size(); ++i) {
    if (!failed[i].empty()) {
      std::cerr << "murmur: skipped " << failed[i] << "\n";
      out["skipped"].push_back(failed[i]);
      continue;
    }
    nlohmann::json r = pipeline::answer_json(model.names, answers[i], model.thresholds);
    r["file"] = files[i];
    if (extras.recording) r["explanation"] = extras.recording(i);
    out["recordings"].push_back(r);
    if (auto n = data::parse_recording_name(stem_of(files[i]))) patients[n->patient_id()].push_back(i);
  }
  for (auto& [id, members] : patients) {
    if (members.size() < 2) continue;
    std::vector<std::vector<double>> probs;
    for (size_t i : members) probs.push_back(answers[i]);
    auto fused = model.fuse(probs);
    nlohmann::json r = pipeline::answer_json(model.names, std::vector<double>(fused.begin(), fused.end()), model.thresholds);
    r["patient"] = id;
    r["recordings"] = probs.size();
    if (extras.patient) r["explanation"] = extras.patient(r, members);
    out["patients"].push_back(r);
  }
  return out;
}

void finish_predict(const nlohmann::json& out, const std::vector<std::string>& names) {
  if (global().json) std::cout << util::json_text(out, 1) << "\n";
  else print_table(out, names);
  if (out["recordings"].empty()) throw Error("no recording could be classified");
  if (!out["skipped"].empty()) throw SomeInputsFailed{out["skipped"].size()};
}

PredictExtras explanation_extras(const std::vector<pipeline::Explanation>& why, const std::vector<std::string>& files,
                                 const std::vector<std::string>& names) {
  PredictExtras extras;
  extras.recording = [&why](size_t i) { return pipeline::to_json(why[i]); };
  extras.patient = [&why, &files, &names](const nlohmann::json& r, const std::vector<size_t>& members) {
    return patient_explanation(r, members, files, why, names);
  };
  return extras;
}

}  // namespace murmur::cli
