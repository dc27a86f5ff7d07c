// How well a segmentation finds the heart sounds a person marked: S1 and S2 detection F1 with a
// tolerance, against a hand-corrected annotation (PhysioNet 2016's `segmentation/RECORD.tsv`, or a
// manifest's `segmentation` column: docs/formats.md).
//
//   auto truth = murmur::segment::read_annotation("segmentation/a0001.tsv");
//   auto seg = murmur::segment::segment(pcm, rate_hz, {}, "a0001");
//   murmur::segment::EventScores s = murmur::segment::score_events(seg, truth);   // ±50 ms
//   s.s1.f1(), s.s2.f1();   s.s1 += other.s1;   // pooled over recordings
//
// A sound is its centre: a found S1 (S2) whose centre lies within tolerance_s of an annotated S1's
// (S2's) centre is a hit; each annotated sound is matched at most once, nearest first (Springer et
// al. 2016 score S1/S2 the same way, with 60 ms). Only the annotated span counts, minus stretches
// marked `noise`: found sounds outside it are neither hits nor false alarms.
#pragma once

#include <string>
#include <vector>

#include "segment/emission.h"
#include "segment/segment.h"

namespace murmur::segment {

struct AnnotatedSpan {
  double start_s = 0, end_s = 0;
  std::string state;  // "S1", "systole", "S2", "diastole" or "noise"
};

// TSV with a header `start_s<TAB>end_s<TAB>state`. Throws murmur::Error "<path>:<line>: ..." for
// a row that is not two finite times (start <= end) and one of the five states.
std::vector<AnnotatedSpan> read_annotation(const std::string& path);
std::vector<AnnotatedSpan> parse_annotation(const std::string& text, const std::string& source);

struct EventCounts {
  int hits = 0, false_alarms = 0, misses = 0;
  double precision() const;  // hits / (hits + false alarms); 0 when nothing was found
  double recall() const;     // hits / (hits + misses)
  double f1() const;
  EventCounts& operator+=(const EventCounts& o);
};

struct EventScores {
  EventCounts s1, s2;
};

EventScores score_events(const Segmentation& found, const std::vector<AnnotatedSpan>& truth,
                         double tolerance_s = 0.05);

// The annotated state (0..3) at the centre of each of n_frames frames at kFrameRateHz, -1 where
// nothing or `noise` is annotated: the labels fit_emissions (emission.h) learns from.
std::vector<int> frame_labels(const std::vector<AnnotatedSpan>& truth, int n_frames);

// `base` with its S1 and S2 duration priors (s1/s2 mean and sd) measured on annotated sounds, the
// ones cut by an annotation's ends or by `noise` left out: the durations refitted as fit_emissions
// refits the emissions. Throws murmur::Error unless each sound has at least 2 spans to measure.
SegmentConfig fit_sound_durations(const std::vector<std::vector<AnnotatedSpan>>& truths, SegmentConfig base);

// A segmenter learnt from annotated recordings: emissions fitted on their labelled frames and the
// sound durations measured on their sounds; segment(pcm, rate, s.config, name, &s.emissions).
// features[i] are envelope_features of the recording truths[i] annotates.
struct FittedSegmenter {
  EmissionModel emissions;
  SegmentConfig config;
};
FittedSegmenter fit_segmenter(const std::vector<Features>& features,
                              const std::vector<std::vector<AnnotatedSpan>>& truths);

}  // namespace murmur::segment
