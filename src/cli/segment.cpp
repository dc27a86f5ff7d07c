// murmur segment FILE_OR_DIR...: heart rate and heart cycles (S1, systole, S2, diastole) of
// recordings, as a table or JSON, and optionally a picture per recording.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "cli/command.h"
#include "cli/inputs.h"
#include "cli/segment_score.h"
#include "segment/picture.h"
#include "segment/segment.h"
#include "util/error.h"
#include "util/json.h"
#include "util/progress.h"

namespace murmur::cli {
namespace {

namespace fs = std::filesystem;

struct SegmentArgs {
  std::vector<std::string> inputs;
  std::string out, format = "svg";
  bool states = false, cycles = false, score = false, refit = false;
  double tolerance_ms = 50;
  std::string emissions = segment::SegmentConfig{}.emissions;
};

void print_recording(const std::string& file, const nlohmann::json& r, bool cycles) {
  double sys = 0, dia = 0;
  for (const auto& c : r["cycles"]) sys += c["systole_s"].get<double>(), dia += c["diastole_s"].get<double>();
  const size_t n = r["cycles"].size();
  std::printf("%-40s %7.1f %9.0f %7zu %11.0f %12.0f\n", file.c_str(), r["heart_rate_bpm"].get<double>(),
              r["systolic_interval_s"].get<double>() * 1000, n, n ? 1000 * sys / n : 0.0, n ? 1000 * dia / n : 0.0);
  if (!cycles) return;
  std::printf("  %5s %8s %8s %8s %8s %9s %9s\n", "cycle", "S1 on", "S1 off", "S2 on", "S2 off", "systole", "diastole");
  int i = 0;
  for (const auto& c : r["cycles"])
    std::printf("  %5d %8.2f %8.2f %8.2f %8.2f %9.3f %9.3f\n", ++i, c["s1_onset_s"].get<double>(),
                c["s1_offset_s"].get<double>(), c["s2_onset_s"].get<double>(), c["s2_offset_s"].get<double>(),
                c["systole_s"].get<double>(), c["diastole_s"].get<double>());
}

void setup(CLI::App& app) {
  auto args = std::make_shared<SegmentArgs>();
  auto* cmd = app.add_subcommand("segment", "Heart rate and heart cycles (S1, systole, S2, diastole) of recordings");
  cmd->footer("Times in seconds from the recording's start; systole and diastole are the intervals between the "
              "sounds (S1 offset to S2 onset, S2 offset to the next S1 onset). Method: docs/segment.md. A file that "
              "cannot be segmented is reported and skipped; the exit code is then 3.");
  cmd->add_option("inputs", args->inputs, "Recordings (WAV/FLAC/OGG, >= 1 s at >= 2 kHz) or folders of them")->required();
  cmd->add_option("-o,--output", args->out,
                  "Picture: x.svg or x.png for one recording; a folder for several (NAME.svg or NAME.png in it)");
  cmd->add_option("--format", args->format, "Picture format in an output folder")->capture_default_str()
      ->check(CLI::IsMember({"svg", "png"}));
  cmd->add_flag("--cycles", args->cycles, "Table: every cycle of every recording (always for a single recording)");
  cmd->add_flag("--states", args->states, "JSON: the state of every 20 ms frame (0 S1, 1 systole, 2 S2, 3 diastole)");
  cmd->add_flag("--score", args->score,
                "The inputs are data sets: score the segmenter against their hand-annotated heart cycles "
                "(S1/S2 precision, recall, F1 per source; PhysioNet 2016's segmentation/, a manifest's column)");
  cmd->add_option("--tolerance-ms", args->tolerance_ms, "With --score: how far a found sound's centre may be from "
                  "the annotated one's")->capture_default_str()->check(CLI::Range(1.0, 500.0));
  cmd->add_flag("--refit", args->refit, "With --score: leave one source out: score each source with emissions "
                "and S1/S2 durations refitted on the other sources' annotated heart cycles");
  cmd->add_option("--emissions", args->emissions, "The emission model and sound durations: physionet2016 (fitted on "
                  "PhysioNet 2016's annotated heart cycles) or synthetic (murmur's first segmenter)")
      ->capture_default_str()->check(CLI::IsMember({"physionet2016", "synthetic"}));
  cmd->callback([args] {
    if (args->refit && !args->score) throw Error("--refit goes with --score");
    const segment::SegmentConfig cfg = segment::SegmentConfig::named(args->emissions);
    if (args->score) return score_segmentation(args->inputs, args->tolerance_ms / 1000, args->refit, cfg);
    const std::vector<std::string> files = recording_files(args->inputs);
    // -o: a .svg/.png file for one recording, else a folder (existing, or a name without extension).
    const std::string ext = fs::path(args->out).extension().string();
    const bool one_picture = !args->out.empty() && !fs::is_directory(args->out) && !ext.empty();
    if (one_picture && ext != ".svg" && ext != ".png")
      throw Error(args->out + ": a picture is .svg or .png (or give a folder)");
    if (one_picture && files.size() != 1)
      throw Error(args->out + ": one picture for " + std::to_string(files.size()) + " recordings; give a folder");
    nlohmann::json out = {{"recordings", nlohmann::json::array()}, {"skipped", nlohmann::json::array()}};
    util::Progress bar("segment", long(files.size()), global().quiet || files.size() < 2);
    for (const auto& f : files) {
      try {
        audio::Audio a = audio::load(f);
        segment::Segmentation s = segment::segment(a.samples, a.sample_rate_hz, cfg, f);
        nlohmann::json r = segment::to_json(s, args->states);
        r["file"] = f;
        if (!args->out.empty()) {
          std::string pic = one_picture ? args->out : (fs::path(args->out) / (fs::path(f).stem().string() + "." + args->format)).string();
          segment::write_picture(pic, a.samples, a.sample_rate_hz, s, fs::path(f).filename().string());
          r["picture"] = pic;
        }
        out["recordings"].push_back(r);
      } catch (const Error& e) {
        std::cerr << "murmur: skipped " << e.what() << "\n";
        out["skipped"].push_back(e.what());
      }
      bar.tick();
    }
    bar.done();
    if (global().json) {
      std::cout << murmur::util::json_text(out, 1) << "\n";
    } else {
      std::printf("%-40s %7s %9s %7s %11s %12s\n", "recording", "HR_bpm", "S1-S2_ms", "cycles", "systole_ms",
                  "diastole_ms");
      for (const auto& r : out["recordings"])
        print_recording(r["file"].get<std::string>(), r, args->cycles || files.size() == 1);
    }
    if (out["recordings"].empty()) throw Error("no recording could be segmented");
    if (!out["skipped"].empty()) throw SomeInputsFailed{out["skipped"].size()};
  });
}

Registrar registrar("segment", setup);

}  // namespace
}  // namespace murmur::cli
