#include "pipeline/explanation.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "eval/text.h"
#include "segment/picture.h"
#include "util/check.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::pipeline {

namespace {

std::vector<std::pair<double, double>> spans_of(const segment::Segmentation& s, segment::State state) {
  std::vector<std::pair<double, double>> out;
  for (const auto& g : s.segments)
    if (g.state == state) out.emplace_back(g.start_s, g.end_s);
  return out;
}

double total_s(const std::vector<std::pair<double, double>>& spans) {
  double t = 0;
  for (const auto& [a, b] : spans) t += b - a;
  return t;
}

std::string band_name(const BandReliance& b) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f-%.0f Hz", b.lo_hz, b.hi_hz);
  return buf;
}

std::string phase_of(double systole_drop, double diastole_drop, const ExplainConfig& cfg) {
  const bool s = systole_drop >= cfg.min_drop, d = diastole_drop >= cfg.min_drop;
  if (s && systole_drop >= cfg.phase_ratio * std::max(0.0, diastole_drop)) return "systolic";
  if (d && diastole_drop >= cfg.phase_ratio * std::max(0.0, systole_drop)) return "diastolic";
  if (s && d) return "both";
  return "unclear";
}

}  // namespace

std::string sentence(const ClassExplanation& c, const std::string& strongest_site) {
  std::string where = c.phase == "unclear" ? "no single phase" : c.phase;
  if (c.strongest_band >= 0) where += ", " + band_name(c.bands[size_t(c.strongest_band)]);
  if (!strongest_site.empty()) where += ", strongest at " + strongest_site;
  char buf[160];
  std::snprintf(buf, sizeof buf, " (p %.2f; %.2f without systole, %.2f without diastole)", c.p, c.p_without_systole,
                c.p_without_diastole);
  return c.cls + (c.suspected ? "" : " (not suspected)") + ": " + where + buf;
}

void ExplainConfig::validate(const std::string& s) const {
  util::check_setting(band_edges_hz.size() >= 2, util::setting_key(s, "band_edges_hz"), "needs at least two edges",
                      band_edges_hz.size());
  for (size_t i = 1; i < band_edges_hz.size(); ++i)
    util::check_setting(band_edges_hz[i] > band_edges_hz[i - 1], util::setting_key(s, "band_edges_hz"),
                        "must increase", band_edges_hz[i]);
  util::check_setting(min_drop >= 0 && min_drop < 1, util::setting_key(s, "min_drop"), "must be in [0, 1)", min_drop);
  util::check_setting(phase_ratio >= 1, util::setting_key(s, "phase_ratio"), "must be >= 1", phase_ratio);
  util::check_setting(segmenter == "physionet2016" || segmenter == "synthetic", util::setting_key(s, "segmenter"),
                      "must be physionet2016 or synthetic", segmenter);
}

std::string expected_phase(const std::string& cls) {
  if (cls == "AS" || cls == "MR") return "systolic";
  if (cls == "AR" || cls == "MS") return "diastolic";
  return "";
}

std::vector<double> probabilities(const Explanation& e) {
  std::vector<double> out;
  for (const auto& c : e.all) out.push_back(c.p);
  return out;
}

Explanation explain_with(const OccludedProbs& probs_of, const audio::Audio& a, const std::vector<std::string>& names,
                         const std::vector<float>& thresholds, const ExplainConfig& cfg, const std::string& name) {
  cfg.validate();
  const auto seg = segment::segment(a.samples, a.sample_rate_hz, segment::SegmentConfig::named(cfg.segmenter), name);
  const auto systole = spans_of(seg, segment::State::kSystole), diastole = spans_of(seg, segment::State::kDiastole);
  Explanation e;
  e.segmentation = seg;
  e.heart_rate_bpm = seg.heart_rate_bpm;
  e.systole_share = seg.duration_s > 0 ? total_s(systole) / seg.duration_s : 0;
  e.diastole_share = seg.duration_s > 0 ? total_s(diastole) / seg.duration_s : 0;

  const auto probs = probs_of(nullptr);
  auto without = [&](const Occlusion& o) { return probs_of(&o); };
  const auto no_systole = without({systole, 0, 0}), no_diastole = without({diastole, 0, 0});
  std::vector<std::vector<double>> no_band;
  for (size_t b = 0; b + 1 < cfg.band_edges_hz.size(); ++b)
    no_band.push_back(without({{}, cfg.band_edges_hz[b], cfg.band_edges_hz[b + 1]}));

  // Which classes: the answer (single-label), or each finding (multi-label; else the likeliest).
  std::vector<size_t> chosen;
  const size_t top = size_t(std::max_element(probs.begin(), probs.end()) - probs.begin());
  if (thresholds.empty()) chosen.push_back(top);
  for (size_t k = 0; k < thresholds.size() && k < probs.size(); ++k)
    if (probs[k] >= thresholds[k]) chosen.push_back(k);
  if (chosen.empty()) chosen.push_back(top);

  for (size_t k = 0; k < names.size() && k < probs.size(); ++k) {
    ClassExplanation c;
    c.cls = names[k];
    c.p = probs[k];
    c.suspected = thresholds.empty() ? k == top : probs[k] >= thresholds[k];
    c.p_without_systole = no_systole[k];
    c.p_without_diastole = no_diastole[k];
    c.systole_drop = c.p - c.p_without_systole;
    c.diastole_drop = c.p - c.p_without_diastole;
    c.phase = phase_of(c.systole_drop, c.diastole_drop, cfg);
    for (size_t b = 0; b < no_band.size(); ++b) {
      c.bands.push_back({cfg.band_edges_hz[b], cfg.band_edges_hz[b + 1], no_band[b][k], c.p - no_band[b][k]});
      if (c.bands.back().drop >= cfg.min_drop &&
          (c.strongest_band < 0 || c.bands.back().drop > c.bands[size_t(c.strongest_band)].drop))
        c.strongest_band = int(b);
    }
    c.sentence = sentence(c);
    e.all.push_back(std::move(c));
  }
  e.explained = chosen;
  for (size_t k : chosen) e.sentence += (e.sentence.empty() ? "" : "; ") + e.all[k].sentence;
  return e;
}

size_t most_sure(const std::vector<const Explanation*>& members, size_t k) {
  if (members.empty()) throw Error("most_sure: no explanations");
  size_t best = 0;
  for (size_t i = 1; i < members.size(); ++i)
    if (k < members[i]->all.size() && members[i]->all[k].p > members[best]->all[k].p) best = i;
  return best;
}

std::string explanation_svg(const audio::Audio& a, const Explanation& e, const std::string& title,
                            const std::vector<size_t>& wanted) {
  const std::vector<size_t>& classes = wanted.empty() ? e.explained : wanted;
  // One row per class: "answer", then each occlusion, a bar as long as the probability.
  const int label_w = 170, col_w = 140, bar_w = 110, row_h = 22, top = 34;
  std::ostringstream o;
  o << "<text x=\"50\" y=\"16\" font-size=\"13\">Probability as answered, and with one part masked "
       "(a large fall = the answer relied on it)</text>\n";
  std::vector<std::string> heads{"as answered", "without systole", "without diastole"};
  const ClassExplanation* first = nullptr;
  for (size_t k : classes)
    if (k < e.all.size()) { first = &e.all[k]; break; }
  if (first)
    for (const auto& b : first->bands) heads.push_back("without " + band_name(b));
  for (size_t c = 0; c < heads.size(); ++c)
    o << "<text x=\"" << label_w + c * col_w << "\" y=\"" << top - 6 << "\" font-size=\"11\">" << heads[c] << "</text>\n";
  int row = 0;
  for (size_t k : classes) {
    if (k >= e.all.size()) continue;
    const auto& c = e.all[k];
    const int y = top + row++ * row_h;
    o << "<text x=\"50\" y=\"" << y + 14 << "\">" << eval::html_escape(c.cls) << ": " << c.phase << "</text>\n";
    std::vector<double> ps{c.p, c.p_without_systole, c.p_without_diastole};
    for (const auto& b : c.bands) ps.push_back(b.p_without);
    for (size_t j = 0; j < ps.size(); ++j) {
      const double x = label_w + double(j) * col_w, w = std::clamp(ps[j], 0.0, 1.0) * bar_w;
      const char* fill = j == 0 ? "#444" : ps[0] - ps[j] >= 0.05 ? "#d62728" : "#9ab";
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.2f</text>\n",
                    x, y + 3, w, fill, x + w + 3, y + 14, ps[j]);
      o << buf;
    }
  }
  segment::PictureExtras extras;
  if (first && first->strongest_band >= 0) {
    const auto& b = first->bands[size_t(first->strongest_band)];
    extras.band_lo_hz = b.lo_hz;
    extras.band_hi_hz = b.hi_hz;
    extras.band_label = first->cls + " relied most on " + band_name(b);
  }
  extras.panel_svg = o.str();
  extras.panel_height_px = top + row * row_h + 8;
  return segment::picture_svg(a.samples, a.sample_rate_hz, e.segmentation, title, extras);
}

void write_explanation_picture(const std::string& path, const audio::Audio& a, const Explanation& e,
                               const std::string& title, const std::vector<size_t>& classes) {
  std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : "";
  for (auto& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (ext != ".svg") throw Error(path + ": an explanation picture is .svg");
  util::write_file_atomic(path, explanation_svg(a, e, title, classes));
}

nlohmann::json to_json(const ClassExplanation& c) {
  nlohmann::json bands = nlohmann::json::array();
  for (const auto& b : c.bands)
    bands.push_back(
        {{"band", band_name(b)}, {"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}, {"p_without", b.p_without}, {"drop", b.drop}});
  return {{"class", c.cls},
          {"p", c.p},
          {"suspected", c.suspected},
          {"phase", c.phase},
          {"expected_phase", expected_phase(c.cls)},
          {"p_without_systole", c.p_without_systole},
          {"p_without_diastole", c.p_without_diastole},
          {"systole_drop", c.systole_drop},
          {"diastole_drop", c.diastole_drop},
          {"strongest_band", c.strongest_band >= 0 ? band_name(c.bands[size_t(c.strongest_band)]) : ""},
          {"bands", bands},
          {"sentence", c.sentence}};
}

nlohmann::json to_json(const Explanation& e) {
  nlohmann::json classes = nlohmann::json::array();
  for (size_t k : e.explained) classes.push_back(to_json(e.all[k]));
  return {{"heart_rate_bpm", e.heart_rate_bpm},
          {"systole_share", e.systole_share},
          {"diastole_share", e.diastole_share},
          {"classes", classes},
          {"sentence", e.sentence}};
}

}  // namespace murmur::pipeline
