// murmur spectrogram: the reference's spectrogram pictures, for one file or a whole data set.
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "experiment/pictures.h"
#include "features/seed_image.h"

namespace murmur::cli {
namespace {

struct SpecArgs {
  std::string input, out;
  bool reversed = false;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<SpecArgs>();
  auto* cmd = app.add_subcommand("spectrogram",
                                 "Draw the reference's 1500x600 mel-spectrogram PNG for a recording, or for a whole "
                                 "data set folder (CLASS/NAME.png, CLASS/NAME_time_reversed.png, metadata.csv)");
  cmd->add_option("input", args->input, "A recording, or a data set folder")->required();
  cmd->add_option("-o,--output", args->out, "Output PNG (one file) or folder (data set)")->required();
  cmd->add_flag("--reversed", args->reversed, "One file: draw the time-reversed copy");
  cmd->callback([args] {
    if (!std::filesystem::is_directory(args->input)) {
      auto img = experiment::reference_picture(args->input);
      features::write_png(args->out, args->reversed ? features::flip_left_right(img) : img);
      if (!global().quiet) std::cout << args->out << " (" << img.width << "x" << img.height << ")\n";
      return;
    }
    auto r = experiment::write_reference_pictures(args->input, args->out, global().threads, global().quiet);
    std::cout << "wrote " << 2 * r.written << " images of " << r.written << " recordings to " << args->out << "\n";
    for (auto& e : r.skipped) std::cerr << "murmur: skipped " << e << "\n";
    if (!r.skipped.empty()) throw SomeInputsFailed{r.skipped.size()};
  });
}

Registrar registrar("spectrogram", setup);

}  // namespace
}  // namespace murmur::cli
