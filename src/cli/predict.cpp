// murmur predict --model M FILE...: class probabilities for recordings (and their patients).
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "data/index.h"
#include "train/experiment.h"
#include "util/error.h"

namespace murmur::cli {
namespace {

struct PredictArgs {
  std::string model;
  std::vector<std::string> files;
};

std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.substr(0, name.find_last_of('.'));
}

void setup(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "Classify recordings with a model (.pth) or a cv run folder (fold ensemble)");
  cmd->add_option("-m,--model", args->model, "model.pth (murmur's or the reference's) or a cv run folder")->required();
  cmd->add_option("files", args->files, "Recordings (WAV/FLAC/OGG, any rate)")->required();
  cmd->callback([args] {
    auto predictor = train::Predictor::open(args->model);
    const auto& names = predictor.class_names();
    nlohmann::json out = {{"model", args->model}, {"preset", predictor.preset().name},
                          {"n_models", predictor.n_models()}, {"recordings", nlohmann::json::array()},
                          {"skipped", nlohmann::json::array()}};
    std::map<std::string, std::pair<torch::Tensor, int>> patients;  // id -> (sum of probs, count)
    for (auto& f : args->files) {
      torch::Tensor probs;
      try {
        probs = predictor.predict_file(f);
      } catch (const Error& e) {
        std::cerr << "murmur: skipped " << e.what() << "\n";
        out["skipped"].push_back(e.what());
        continue;
      }
      int best = int(probs.argmax().item<int64_t>());
      nlohmann::json p;
      for (size_t k = 0; k < names.size(); ++k) p[names[k]] = probs[int64_t(k)].item<double>();
      out["recordings"].push_back({{"file", f}, {"class", names[size_t(best)]}, {"probabilities", p}});
      if (auto n = data::parse_recording_name(stem_of(f))) {
        auto& acc = patients[n->patient_id()];
        acc.first = acc.first.defined() ? acc.first + probs : probs;
        acc.second++;
      }
    }
    for (auto& [id, acc] : patients) {
      if (acc.second < 2) continue;
      auto probs = acc.first / double(acc.second);
      nlohmann::json p;
      for (size_t k = 0; k < names.size(); ++k) p[names[k]] = probs[int64_t(k)].item<double>();
      out["patients"].push_back({{"patient", id}, {"recordings", acc.second},
                                 {"class", names[size_t(probs.argmax().item<int64_t>())]}, {"probabilities", p}});
    }
    if (global().json) {
      std::cout << out.dump(1) << "\n";
    } else {
      std::printf("%-40s %-6s", "recording", "class");
      for (auto& n : names) std::printf(" %6s", n.c_str());
      std::printf("\n");
      auto row = [&](const std::string& name, const nlohmann::json& r) {
        std::printf("%-40s %-6s", name.c_str(), r["class"].get<std::string>().c_str());
        for (auto& n : names) std::printf(" %6.3f", r["probabilities"][n].get<double>());
        std::printf("\n");
      };
      for (auto& r : out["recordings"]) row(r["file"].get<std::string>(), r);
      if (out.contains("patients"))
        for (auto& r : out["patients"]) row("patient " + r["patient"].get<std::string>() + " (mean)", r);
    }
    if (out["recordings"].empty()) throw Error("no recording could be classified");
  });
}

Registrar registrar("predict", setup);

}  // namespace
}  // namespace murmur::cli
