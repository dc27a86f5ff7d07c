// murmur predict --model M FILE_OR_DIR...: class probabilities for recordings (and their patients),
// one recording per core. --explain adds why (pipeline/explain.h): the phase of the cardiac cycle
// and the frequency band the answer relied on, per recording and per patient.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "cli/inputs.h"
#include "data/index.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "util/error.h"
#include "util/json.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::cli {
namespace {

struct PredictArgs {
  std::string model;
  std::vector<std::string> eval_overrides;
  std::vector<std::string> files;
  bool explain = false;
  std::string pictures_dir;  // with --explain: DIR/<stem>.svg per recording
};

std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.substr(0, name.find_last_of('.'));
}

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

void setup(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", model_command_about("predict"));
  cmd->footer("A file that cannot be classified is reported and skipped; the exit code is then 3.");
  cmd->add_option("-m,--model", args->model, "model.pth (murmur's or the reference's) or a cv run folder")->required();
  cmd->add_option("--set", args->eval_overrides, kEvalSetHelp);
  cmd->add_option("files", args->files, "Recordings (WAV/FLAC/OGG, any rate) or folders of them")->required();
  cmd->add_flag("--explain", args->explain,
                "Say why: how far each answer falls with the systolic frames, the diastolic frames or one "
                "frequency band masked (presets native and valves; recordings of 1 s or more)");
  cmd->add_option("--pictures", args->pictures_dir,
                  "With --explain: draw each recording's explanation to DIR/NAME.svg (waveform and spectrogram "
                  "with the phases shaded, the band relied on outlined, the probabilities with each part masked)");
  cmd->callback([args] {
    if (!args->pictures_dir.empty() && !args->explain) throw Error("--pictures: draws explanations; add --explain");
    const std::vector<std::string> files = recording_files(args->files);
    auto predictor = pipeline::Predictor::open(args->model, args->eval_overrides);
    if (args->explain && !predictor.preset().occludable())
      throw Error("--explain: " + args->model + " is a " + predictor.preset().name() +
                  " model, whose features have no time and frequency axes of their own to mask "
                  "(presets native and valves can be explained)");
    const auto& names = predictor.class_names();
    nlohmann::json out = {{"model", args->model}, {"preset", predictor.preset().name()},
                          {"n_models", predictor.n_models()}, {"recordings", nlohmann::json::array()},
                          {"patients", nlohmann::json::array()}, {"skipped", nlohmann::json::array()},
                          {"patient_fusion", eval::fusion_name(predictor.preset().patient_fusion())}};
    // Several files: one file per core, each on one LibTorch thread (a recording is too small a
    // job to split across cores). Answers and skips are reported in input order.
    std::vector<torch::Tensor> answers(files.size());
    std::vector<pipeline::Explanation> why(files.size());
    std::vector<std::string> failed(files.size());
    const int workers = files.size() > 1 ? global().threads : 1;
    const int torch_threads = torch::get_num_threads();
    if (workers > 1) torch::set_num_threads(1);
    util::Progress bar("predict", long(files.size()), global().quiet || files.size() < 2);
    util::parallel_for(files.size(), workers, [&](size_t i) {
      try {
        if (args->explain) {
          const auto a = audio::load(files[i], predictor.preset().audio);
          why[i] = pipeline::explain(predictor, a, {}, files[i]);
          if (!args->pictures_dir.empty())
            pipeline::write_explanation_picture(args->pictures_dir + "/" + stem_of(files[i]) + ".svg", a, why[i],
                                                stem_of(files[i]));
          answers[i] = torch::tensor(pipeline::probabilities(why[i]), torch::kDouble);
        } else {
          answers[i] = predictor.predict_file(files[i]);
        }
      } catch (const Error& e) {
        failed[i] = e.what();
      } catch (const std::exception& e) {  // never lose the batch to one file
        failed[i] = files[i] + ": internal error: " + e.what();
      }
      bar.tick();
    });
    bar.done();
    torch::set_num_threads(torch_threads);
    std::map<std::string, std::vector<size_t>> patients;  // recordings named CLASS_PID_POS_SITE
    for (size_t i = 0; i < files.size(); ++i) {
      if (!failed[i].empty()) {
        std::cerr << "murmur: skipped " << failed[i] << "\n";
        out["skipped"].push_back(failed[i]);
        continue;
      }
      nlohmann::json r = pipeline::answer_json(names, answers[i], predictor.thresholds());
      r["file"] = files[i];
      if (args->explain) r["explanation"] = pipeline::to_json(why[i]);
      out["recordings"].push_back(r);
      if (auto n = data::parse_recording_name(stem_of(files[i]))) patients[n->patient_id()].push_back(i);
    }
    for (auto& [id, members] : patients) {
      if (members.size() < 2) continue;
      std::vector<torch::Tensor> probs;
      for (size_t i : members) probs.push_back(answers[i]);
      auto fused = predictor.fuse_patient(probs);
      nlohmann::json r = pipeline::answer_json(names, std::vector<double>(fused.begin(), fused.end()), predictor.thresholds());
      r["patient"] = id;
      r["recordings"] = probs.size();
      if (args->explain) r["explanation"] = patient_explanation(r, members, files, why, names);
      out["patients"].push_back(r);
    }
    if (global().json) std::cout << util::json_text(out, 1) << "\n";
    else print_table(out, names);
    if (out["recordings"].empty()) throw Error("no recording could be classified");
    if (!out["skipped"].empty()) throw SomeInputsFailed{out["skipped"].size()};
  });
}

Registrar registrar("predict", setup);

}  // namespace
}  // namespace murmur::cli
