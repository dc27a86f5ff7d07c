// murmur segment --score (segment_score.h): segment each annotated recording, score it, pool.
#include "cli/segment_score.h"

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "audio/audio.h"
#include "cli/command.h"
#include "data/index.h"
#include "segment/emission.h"
#include "segment/score.h"
#include "util/error.h"
#include "util/json.h"
#include "util/pool.h"
#include "util/progress.h"
#include "util/version.h"

namespace murmur::cli {

namespace {

nlohmann::json counts_json(const segment::EventCounts& c) {
  return {{"hits", c.hits}, {"false_alarms", c.false_alarms}, {"misses", c.misses}, {"precision", c.precision()},
          {"recall", c.recall()}, {"f1", c.f1()}};
}

}  // namespace

void score_segmentation(const std::vector<std::string>& dirs, double tolerance_s, bool refit,
                        const segment::SegmentConfig& segmenter) {
  segmenter.validate();
  std::vector<data::Recording> annotated;
  for (const auto& d : dirs)
    for (auto& r : data::index_dataset(d).recordings)
      if (!r.segmentation.empty()) annotated.push_back(std::move(r));
  if (annotated.empty())
    throw Error("no recording with a heart-cycle annotation in the data sets given (PhysioNet 2016's "
                "segmentation/, or a manifest's segmentation column)");
  const size_t n = annotated.size();
  std::vector<std::vector<segment::AnnotatedSpan>> truth(n);
  std::vector<segment::Features> features(n);
  std::vector<std::string> errors(n);
  auto each = [&](const std::string& what, const std::function<void(size_t)>& body) {
    util::Progress bar(what, long(n), global().quiet);
    util::parallel_for(n, global().threads, [&](size_t i) {
      if (errors[i].empty()) try {
          body(i);
        } catch (const Error& e) {
          errors[i] = e.what();
        }
      bar.tick();
    });
    bar.done();
  };
  each("annotations", [&](size_t i) {
    truth[i] = segment::read_annotation(annotated[i].segmentation);
    if (!refit) return;
    const audio::Audio a = audio::load(annotated[i].path);
    features[i] = segment::envelope_features(a.samples, a.sample_rate_hz, annotated[i].path);
  });
  // --refit: per source, emissions and sound durations fitted on every other source's annotations.
  std::map<std::string, segment::FittedSegmenter> refits;  // by held-out source
  if (refit) {
    std::map<std::string, int> sources;
    for (size_t i = 0; i < n; ++i) ++sources[annotated[i].source];
    if (sources.size() < 2) throw Error("--refit needs annotated recordings from at least two sources");
    for (const auto& [held_out, count] : sources) {
      std::vector<segment::Features> f;
      std::vector<std::vector<segment::AnnotatedSpan>> others;
      for (size_t i = 0; i < n; ++i)
        if (errors[i].empty() && annotated[i].source != held_out) {
          f.push_back(features[i]);
          others.push_back(truth[i]);
        }
      refits[held_out] = segment::fit_segmenter(f, others);
    }
  }
  std::vector<std::optional<segment::EventScores>> scores(n);
  each("segment --score", [&](size_t i) {
    const audio::Audio a = audio::load(annotated[i].path);
    const segment::FittedSegmenter* r = refit ? &refits.at(annotated[i].source) : nullptr;
    scores[i] = segment::score_events(segment::segment(a.samples, a.sample_rate_hz, r ? r->config : segmenter,
                                                       annotated[i].path, r ? &r->emissions : nullptr),
                                      truth[i], tolerance_s);
  });
  struct Pooled { int n = 0; segment::EventCounts s1, s2; };
  std::map<std::string, Pooled> by_source;
  Pooled all;
  nlohmann::json skipped = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    if (!scores[i]) {
      std::cerr << "murmur: skipped " << errors[i] << "\n";
      skipped.push_back(errors[i]);
      continue;
    }
    for (Pooled* p : {&by_source[annotated[i].source], &all}) {
      ++p->n;
      p->s1 += scores[i]->s1;
      p->s2 += scores[i]->s2;
    }
  }
  std::string used = "physionet2016 (fitted on PhysioNet 2016's annotations: in-sample there)";
  if (segmenter.emissions == "synthetic") used = "synthetic (murmur's first segmenter)";
  if (refit) used = "emissions and S1/S2 durations refit on the other sources (each source held out)";
  if (global().json) {
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& [name, p] : by_source) {
      sources[name] = {{"recordings", p.n}, {"s1", counts_json(p.s1)}, {"s2", counts_json(p.s2)}};
      if (refit) {
        const auto& c = refits.at(name).config;
        sources[name]["durations_s"] = {{"s1_mean", c.s1_mean_s}, {"s1_sd", c.s1_sd_s}, {"s2_mean", c.s2_mean_s},
                                        {"s2_sd", c.s2_sd_s}};
      }
    }
    std::cout << util::json_text({{"murmur_commit", util::git_commit()},
                                  {"data", dirs},
                                  {"tolerance_s", tolerance_s},
                                  {"emissions", used},
                                  {"sources", sources},
                                  {"all", {{"recordings", all.n}, {"s1", counts_json(all.s1)}, {"s2", counts_json(all.s2)}}},
                                  {"skipped", skipped}}, 1)
              << "\n";
  } else {
    std::printf("S1 and S2 found within %.0f ms of the annotated sound's centre (precision / recall / F1); "
                "emissions: %s\n", tolerance_s * 1000, used.c_str());
    std::printf("%-12s %10s %8s %8s %8s %8s %8s %8s\n", "source", "recordings", "S1 P", "S1 R", "S1 F1", "S2 P", "S2 R",
                "S2 F1");
    auto line = [](const std::string& name, const Pooled& p) {
      std::printf("%-12s %10d %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", name.c_str(), p.n, p.s1.precision(),
                  p.s1.recall(), p.s1.f1(), p.s2.precision(), p.s2.recall(), p.s2.f1());
    };
    for (const auto& [name, p] : by_source) line(name, p);
    line("all", all);
  }
  if (all.n == 0) throw Error("no annotated recording could be scored");
  if (!skipped.empty()) throw SomeInputsFailed{skipped.size()};
}

}  // namespace murmur::cli
