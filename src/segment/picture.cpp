#include "segment/picture.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "features/colormap.h"
#include "features/log_mel.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::segment {

namespace {

constexpr double kTopHz = 600;  // heart sounds and murmurs live below ~600 Hz
// tab10 red, orange, blue, green: S1, systole, S2, diastole.
constexpr unsigned char kPhaseRgb[kNumStates][3] = {{214, 39, 40}, {255, 127, 14}, {31, 119, 180}, {44, 160, 44}};
constexpr const char* kPhaseHex[kNumStates] = {"#d62728", "#ff7f0e", "#1f77b4", "#2ca02c"};

// 0-600 Hz power in dB (60 dB range), viridis, low frequencies at the bottom: one column per
// 10 ms frame, one row per bin of a ~64 ms window.
features::Image spectrogram_image(const std::vector<float>& pcm, int rate_hz) {
  features::LogMelConfig cfg;
  cfg.sample_rate_hz = rate_hz;
  cfg.fmax_hz = rate_hz / 2.0f;
  cfg.n_fft = 16;
  while (cfg.n_fft < 0.064 * rate_hz) cfg.n_fft *= 2;
  cfg.hop = std::max(1, static_cast<int>(std::lround(0.01 * rate_hz)));
  cfg.top_db = 60;
  features::Matrix p = features::power_spectrogram(pcm, cfg);
  features::power_to_db(p, cfg);
  const int rows = std::min(p.rows, static_cast<int>(kTopHz * cfg.n_fft / rate_hz) + 1);
  float top = -1e30f;
  for (float v : p.data) top = std::max(top, v);
  features::Image im(p.cols, rows, 3);
  const auto& lut = features::viridis_lut();
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < p.cols; ++c) {
      const auto& rgb = lut[size_t(features::colormap_index((p.at(r, c) - top + 60) / 60))];
      for (int k = 0; k < 3; ++k) im.at(c, rows - 1 - r, k) = static_cast<uint8_t>(std::lround(rgb[k] * 255));
    }
  return im;
}

// Lowest and highest sample over each of n_columns equal slices, scaled by the peak magnitude.
std::vector<std::pair<float, float>> waveform_columns(const std::vector<float>& pcm, int n_columns) {
  float peak = 1e-9f;
  for (float v : pcm) peak = std::max(peak, std::abs(v));
  std::vector<std::pair<float, float>> out(n_columns, {0.f, 0.f});
  for (int c = 0; c < n_columns; ++c) {
    size_t a = pcm.size() * c / n_columns, b = std::max(a + 1, pcm.size() * (c + 1) / n_columns);
    float lo = 0, hi = 0;
    for (size_t i = a; i < b && i < pcm.size(); ++i) lo = std::min(lo, pcm[i]), hi = std::max(hi, pcm[i]);
    out[c] = {lo / peak, hi / peak};
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= uint8_t(bytes[i + 2]);
    for (int k = 0; k < 4; ++k) out += i * 4 / 3 + k < (bytes.size() * 4 + 2) / 3 ? table[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string escape_xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

}  // namespace

std::string picture_svg(const std::vector<float>& pcm, int rate_hz, const Segmentation& s, const std::string& title,
                        const PictureExtras& extras) {
  const int width = 1200, left = 50, right = 10, plot_w = width - left - right;
  const int wave_y = 30, wave_h = 140, strip_y = 174, strip_h = 12, spec_y = 192, spec_h = 180, base_h = 430;
  const int height = base_h + std::max(0, extras.panel_height_px);
  const double duration_s = double(pcm.size()) / rate_hz;
  auto x_of = [&](double t_s) { return left + t_s / duration_s * plot_w; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
    << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left << "\" y=\"18\" font-size=\"14\">" << escape_xml(title) << " \u2014 " << num(s.heart_rate_bpm)
    << " bpm, systolic interval " << std::lround(s.systolic_interval_s * 1000) << " ms, " << s.cycles.size()
    << " complete cycles</text>\n";
  for (const auto& g : s.segments) {
    const int k = static_cast<int>(g.state);
    const double x0 = x_of(g.start_s), w = x_of(g.end_s) - x0;
    o << "<rect x=\"" << num(x0) << "\" y=\"" << wave_y << "\" width=\"" << num(w) << "\" height=\"" << wave_h
      << "\" fill=\"" << kPhaseHex[k] << "\" fill-opacity=\"0.18\"/>"
      << "<rect x=\"" << num(x0) << "\" y=\"" << strip_y << "\" width=\"" << num(w) << "\" height=\"" << strip_h
      << "\" fill=\"" << kPhaseHex[k] << "\"/>\n";
  }
  auto cols = waveform_columns(pcm, plot_w);
  o << "<path fill=\"#333\" stroke=\"#333\" stroke-width=\"0.5\" d=\"M";
  const double mid = wave_y + wave_h / 2.0, half = wave_h / 2.0 - 2;
  for (int c = 0; c < plot_w; ++c) o << num(left + c) << "," << num(mid - cols[c].second * half) << " ";
  for (int c = plot_w - 1; c >= 0; --c) o << num(left + c) << "," << num(mid - cols[c].first * half) << " ";
  o << "Z\"/>\n";
  o << "<image x=\"" << left << "\" y=\"" << spec_y << "\" width=\"" << plot_w << "\" height=\"" << spec_h
    << "\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,"
    << base64(features::encode_png(spectrogram_image(pcm, rate_hz))) << "\"/>\n";
  for (const auto& g : s.segments)  // sound onsets over the spectrogram
    if ((g.state == State::kS1 || g.state == State::kS2) && g.start_s > 0)
      o << "<line x1=\"" << num(x_of(g.start_s)) << "\" x2=\"" << num(x_of(g.start_s)) << "\" y1=\"" << spec_y
        << "\" y2=\"" << spec_y + spec_h << "\" stroke=\"" << kPhaseHex[static_cast<int>(g.state)]
        << "\" stroke-width=\"1.2\" stroke-dasharray=\"3,2\"/>\n";
  for (int hz = 0; hz <= kTopHz; hz += 200) {
    double y = spec_y + spec_h - hz / kTopHz * spec_h;
    o << "<text x=\"" << left - 4 << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">" << hz << "</text>\n";
  }
  if (extras.band_hi_hz > extras.band_lo_hz && extras.band_lo_hz < kTopHz) {
    const double y_top = spec_y + spec_h - std::min(extras.band_hi_hz, kTopHz) / kTopHz * spec_h;
    const double y_low = spec_y + spec_h - std::max(0.0, extras.band_lo_hz) / kTopHz * spec_h;
    o << "<rect x=\"" << left << "\" y=\"" << num(y_top) << "\" width=\"" << plot_w << "\" height=\"" << num(y_low - y_top)
      << "\" fill=\"none\" stroke=\"white\" stroke-width=\"2\"/><text x=\"" << left + 6 << "\" y=\"" << num(y_top + 14)
      << "\" fill=\"white\" font-weight=\"bold\">" << escape_xml(extras.band_label) << "</text>\n";
  }
  o << "<text x=\"12\" y=\"" << spec_y + spec_h / 2 << "\" transform=\"rotate(-90 12 " << spec_y + spec_h / 2
    << ")\" text-anchor=\"middle\">Hz</text>\n";
  const double step_s = duration_s <= 30 ? 1 : duration_s <= 120 ? 5 : 30;
  for (double t = 0; t <= duration_s + 1e-9; t += step_s)
    o << "<line x1=\"" << num(x_of(t)) << "\" x2=\"" << num(x_of(t)) << "\" y1=\"" << spec_y + spec_h << "\" y2=\""
      << spec_y + spec_h + 4 << "\" stroke=\"#333\"/><text x=\"" << num(x_of(t)) << "\" y=\"" << spec_y + spec_h + 17
      << "\" text-anchor=\"middle\">" << t << "</text>\n";
  o << "<text x=\"" << left - 12 << "\" y=\"" << spec_y + spec_h + 17 << "\" text-anchor=\"end\">s</text>\n";
  for (int k = 0; k < kNumStates; ++k) {
    int x = left + k * 110;
    o << "<rect x=\"" << x << "\" y=\"" << base_h - 22 << "\" width=\"12\" height=\"12\" fill=\"" << kPhaseHex[k]
      << "\"/><text x=\"" << x + 16 << "\" y=\"" << base_h - 12 << "\">" << state_name(State(k)) << "</text>\n";
  }
  if (extras.panel_height_px > 0) o << "<g transform=\"translate(0," << base_h << ")\">\n" << extras.panel_svg << "</g>\n";
  o << "</svg>\n";
  return o.str();
}

features::Image picture_png(const std::vector<float>& pcm, int rate_hz, const Segmentation& s, int width_px) {
  const int wave_h = 140, strip_y = 144, strip_h = 12, spec_y = 160, spec_h = 200;
  features::Image im(std::max(16, width_px), spec_y + spec_h, 3, 255);
  const int w = im.width;
  const double duration_s = double(pcm.size()) / rate_hz;
  auto state_at_column = [&](int c) {
    size_t i = std::min(s.states.size() - 1, static_cast<size_t>((c + 0.5) / w * duration_s * kFrameRateHz));
    return static_cast<int>(s.states[i]);
  };
  auto cols = waveform_columns(pcm, w);
  features::Image spec = spectrogram_image(pcm, rate_hz);
  for (int c = 0; c < w; ++c) {
    const int k = s.states.empty() ? 3 : state_at_column(c);
    const int lo = static_cast<int>(std::lround(wave_h / 2.0 - cols[c].second * (wave_h / 2.0 - 2)));
    const int hi = static_cast<int>(std::lround(wave_h / 2.0 - cols[c].first * (wave_h / 2.0 - 2)));
    for (int y = 0; y < wave_h; ++y)
      for (int ch = 0; ch < 3; ++ch)
        im.at(c, y, ch) = y >= lo && y <= hi ? 51 : static_cast<uint8_t>(255 - 0.18 * (255 - kPhaseRgb[k][ch]));
    for (int y = strip_y; y < strip_y + strip_h; ++y)
      for (int ch = 0; ch < 3; ++ch) im.at(c, y, ch) = kPhaseRgb[k][ch];
    const int sc = std::min(spec.width - 1, c * spec.width / w);
    for (int y = 0; y < spec_h; ++y)
      for (int ch = 0; ch < 3; ++ch) im.at(c, spec_y + y, ch) = spec.at(sc, std::min(spec.height - 1, y * spec.height / spec_h), ch);
  }
  for (const auto& g : s.segments)  // sound onsets over the spectrogram, dashed
    if ((g.state == State::kS1 || g.state == State::kS2) && g.start_s > 0) {
      int c = std::min(w - 1, static_cast<int>(g.start_s / duration_s * w));
      for (int y = 0; y < spec_h; ++y)
        if (y % 6 < 4)
          for (int ch = 0; ch < 3; ++ch) im.at(c, spec_y + y, ch) = kPhaseRgb[static_cast<int>(g.state)][ch];
    }
  return im;
}

void write_picture(const std::string& path, const std::vector<float>& pcm, int rate_hz, const Segmentation& s,
                   const std::string& title) {
  std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : "";
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".svg") util::write_file_atomic(path, picture_svg(pcm, rate_hz, s, title));
  else if (ext == ".png") features::write_png(path, picture_png(pcm, rate_hz, s));
  else throw Error(path + ": a segmentation picture is .svg or .png");
}

}  // namespace murmur::segment
