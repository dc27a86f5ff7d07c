#include "experiment/pictures.h"

#include "data/index.h"
#include "audio/audio.h"
#include "features/log_mel.h"
#include "features/seed_image.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::experiment {

features::Image reference_picture(const std::string& path) {
  audio::LoadConfig load;
  load.target_rate_hz = features::kReferenceRateHz;
  return features::render_seed_image(features::log_mel(audio::load(path, load).samples, features::LogMelConfig{}),
                                     features::SeedImageConfig{});
}

PicturesResult write_reference_pictures(const std::string& data_dir, const std::string& out_dir, int threads,
                                        bool quiet) {
  auto index = data::index_dataset(data_dir);
  std::vector<const data::Recording*> todo;
  for (auto& r : index.recordings)
    if (r.is_single_label()) todo.push_back(&r);
  if (todo.empty())
    throw Error(data_dir + ": no single-label recordings found (expected a data set folder: train/*.wav with "
                "train.csv, or CLASS_PID_POSITION_SITE.wav files)");
  std::vector<std::string> rows(todo.size()), errors(todo.size());
  util::Progress bar("spectrograms", long(todo.size()), quiet);
  util::parallel_for(todo.size(), threads, [&](size_t i) {
    const auto& r = *todo[i];
    const std::string cls = data::kClassNames[size_t(r.label)];
    try {
      auto img = reference_picture(r.path);
      std::string base = out_dir + "/" + cls + "/" + r.name;
      features::write_png(base + ".png", img);
      features::write_png(base + "_time_reversed.png", features::flip_left_right(img));
      rows[i] = util::csv::format_row({cls + "/" + r.name + ".png", cls + "/" + r.name + "_time_reversed.png", r.name,
                                       r.patient_id, cls, r.position, r.site, std::to_string(r.duration_s)});
    } catch (const Error& e) {
      errors[i] = e.what();
    }
    bar.tick();
  });
  bar.done();
  PicturesResult result;
  std::string csv = util::csv::format_row(
      {"image", "time_reversed_image", "recording", "patient", "class", "position", "site", "duration_s"});
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!errors[i].empty()) {
      result.skipped.push_back(errors[i]);
      continue;
    }
    csv += rows[i];
    ++result.written;
  }
  util::write_file_atomic(out_dir + "/metadata.csv", csv);
  return result;
}

}  // namespace murmur::experiment
