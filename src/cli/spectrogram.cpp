// murmur spectrogram: the reference's spectrogram pictures, for one file or a whole data set.
#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "audio/audio.h"
#include "cli/command.h"
#include "data/index.h"
#include "features/seed_image.h"
#include "model/preset.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/progress.h"

namespace murmur::cli {
namespace {

struct SpecArgs {
  std::string input, out;
  bool reversed = false;
};

features::Image render(const std::string& path, const model::Preset& p) {
  auto a = audio::load(path, p.audio);
  return features::render_seed_image(features::log_mel(a.samples, p.log_mel), p.image);
}

void setup(CLI::App& app) {
  auto args = std::make_shared<SpecArgs>();
  auto* cmd = app.add_subcommand("spectrogram",
                                 "Draw the reference's 1500x600 mel-spectrogram PNG for a recording, or for a whole "
                                 "data set folder (CLASS/NAME.png, CLASS/NAME_time_reversed.png, metadata.csv)");
  cmd->add_option("input", args->input, "A recording, or a data set folder")->required();
  cmd->add_option("-o,--output", args->out, "Output PNG (one file) or folder (data set)")->required();
  cmd->add_flag("--reversed", args->reversed, "One file: draw the time-reversed copy");
  cmd->callback([args] {
    const model::Preset preset = model::Preset::named("seed");
    if (!std::filesystem::is_directory(args->input)) {
      auto img = render(args->input, preset);
      features::write_png(args->out, args->reversed ? features::flip_left_right(img) : img);
      if (!global().quiet) std::cout << args->out << " (" << img.width << "x" << img.height << ")\n";
      return;
    }
    auto index = data::index_dataset(args->input);
    std::vector<const data::Recording*> todo;
    for (auto& r : index.recordings)
      if (r.label >= 0 && r.file_class != "MD") todo.push_back(&r);
    std::vector<std::string> rows(todo.size()), errors(todo.size());
    util::Progress bar("spectrograms", long(todo.size()), global().quiet);
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i; (i = next++) < todo.size();) {
        const auto& r = *todo[i];
        const std::string cls = data::kClassNames[size_t(r.label)];
        try {
          auto img = render(r.path, preset);
          std::string base = args->out + "/" + cls + "/" + r.name;
          features::write_png(base + ".png", img);
          features::write_png(base + "_time_reversed.png", features::flip_left_right(img));
          rows[i] = cls + "/" + r.name + ".png," + cls + "/" + r.name + "_time_reversed.png," + r.name + "," +
                    r.patient_id + "," + cls + "," + r.position + "," + r.site + "," + std::to_string(r.duration_s);
        } catch (const Error& e) {
          errors[i] = e.what();
        }
        bar.tick();
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < global().threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    bar.done();
    std::string csv = "image,time_reversed_image,recording,patient,class,position,site,duration_s\n";
    int written = 0;
    for (size_t i = 0; i < todo.size(); ++i) {
      if (!errors[i].empty()) continue;
      csv += rows[i] + "\n";
      ++written;
    }
    util::write_file_atomic(args->out + "/metadata.csv", csv);
    std::cout << "wrote " << 2 * written << " images of " << written << " recordings to " << args->out << "\n";
    int skipped = 0;
    for (auto& e : errors)
      if (!e.empty()) { std::cerr << "murmur: skipped " << e << "\n"; ++skipped; }
    if (skipped) std::cerr << "murmur: " << skipped << " recording(s) skipped\n";
  });
}

Registrar registrar("spectrogram", setup);

}  // namespace
}  // namespace murmur::cli
