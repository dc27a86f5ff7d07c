// Logistic-regression emissions (Springer et al. 2016, section II-C): the fitted constants and
// the fit that produced them.
#include <cmath>

#include "segment/emission.h"
#include "util/error.h"

namespace murmur::segment {

double EmissionModel::log_emission(const FeatureVector& x, State s) const {
  const auto& w = weights[static_cast<int>(s)];
  double z = w[0];
  for (int k = 0; k < kNumFeatures; ++k) z += w[k + 1] * x[k];
  // log sigmoid(z), stable for large |z|
  double log_p = z >= 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));
  return log_p - std::log(prior[static_cast<int>(s)]);
}

const EmissionModel& physionet_emissions() {
  // Fitted by tests/segment_emission_test.cpp (SegmentEmission.PhysionetModelIsTheRefit): every
  // hand-annotated frame of PhysioNet 2016's 1,755 annotated recordings (six sources), `noise` left
  // out. Refit after changing the features.
  static const EmissionModel model = [] {
    EmissionModel m;
    m.weights = {{
        {-2.701007, 0.113499, 0.764759, -0.161854, -0.067258, 0.358980, 1.279684, 1.160372, -0.971514},
        {-1.583868, -0.021005, -0.290745, -0.576544, 0.315156, 0.955520, -1.330188, -0.006376, 0.112822},
        {-2.186737, -0.370697, 0.295919, -0.144726, 0.349949, -0.459907, 0.631609, 0.363201, -0.977279},
        {-0.438243, -0.142293, -0.275760, -0.354709, -0.578962, -0.469703, -1.029589, -0.182359, 0.127782},
    }};
    m.prior = {0.160759, 0.224779, 0.128824, 0.485639};
    return m;
  }();
  return model;
}

const EmissionModel& synthetic_emissions() {
  // Fitted by tests/segment_emission_test.cpp (SegmentEmission.SyntheticModelIsTheRefit): synthetic
  // recordings at 45-160 bpm, every class and site, 10-30 dB SNR. Refit after changing the features.
  static const EmissionModel model = [] {
    EmissionModel m;
    m.weights = {{
        {-2.204559, -0.074729, 1.116187, 1.780431, -1.690340, -0.507362, 1.592353, 0.582948, -0.561734},
        {-1.689864, -0.058470, 0.763636, -1.507611, -1.071014, 1.001317, -1.441645, 0.248433, -0.066151},
        {-2.529613, 0.485512, -1.080925, -1.661803, 2.854812, -1.020941, 1.090448, -0.625772, -0.037150},
        {-0.856130, -0.063871, -1.085929, -0.002071, -0.398273, -0.130846, -1.076563, 0.005455, 0.014529},
    }};
    m.prior = {0.172410, 0.266530, 0.154780, 0.406280};
    return m;
  }();
  return model;
}

const EmissionModel& emissions_named(const std::string& name) {
  if (name == "physionet2016") return physionet_emissions();
  if (name == "synthetic") return synthetic_emissions();
  throw Error("segmenter emissions '" + name + "' unknown: the models are physionet2016 (the default) and synthetic");
}

namespace {

constexpr int kDim = kNumFeatures + 1;
using Vec = std::array<double, kDim>;
using Mat = std::array<Vec, kDim>;

// Solves a x = b for a symmetric positive-definite a (Gaussian elimination with partial pivoting).
Vec solve(Mat a, Vec b) {
  for (int c = 0; c < kDim; ++c) {
    int p = c;
    for (int r = c + 1; r < kDim; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    std::swap(b[c], b[p]);
    for (int r = c + 1; r < kDim; ++r) {
      double f = a[r][c] / a[c][c];
      for (int k = c; k < kDim; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  Vec x{};
  for (int r = kDim - 1; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < kDim; ++k) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

}  // namespace

EmissionModel fit_emissions(const std::vector<Features>& recordings, const std::vector<std::vector<int>>& labels,
                            double l2) {
  if (recordings.size() != labels.size()) throw Error("fit_emissions: one label sequence per recording needed");
  std::vector<Vec> x;
  std::vector<int> y;
  for (size_t r = 0; r < recordings.size(); ++r) {
    if (labels[r].size() != recordings[r].values.size())
      throw Error("fit_emissions: recording " + std::to_string(r) + " has " + std::to_string(labels[r].size()) +
                  " labels for " + std::to_string(recordings[r].values.size()) + " frames");
    for (size_t t = 0; t < labels[r].size(); ++t) {
      if (labels[r][t] < 0) continue;
      Vec v{1.0};
      for (int k = 0; k < kNumFeatures; ++k) v[k + 1] = recordings[r].values[t][k];
      x.push_back(v);
      y.push_back(labels[r][t]);
    }
  }
  EmissionModel m;
  for (int s = 0; s < kNumStates; ++s) {
    size_t n_pos = 0;
    for (int v : y) n_pos += v == s;
    if (n_pos == 0) throw Error(std::string("fit_emissions: no frame labelled ") + state_name(State(s)));
    m.prior[s] = double(n_pos) / y.size();
    Vec w{};
    for (int iter = 0; iter < 50; ++iter) {
      Mat h{};
      Vec g{};
      for (int k = 0; k < kDim; ++k) {
        h[k][k] = l2 * x.size();
        g[k] = -l2 * x.size() * w[k];
      }
      for (size_t i = 0; i < x.size(); ++i) {
        double z = 0;
        for (int k = 0; k < kDim; ++k) z += w[k] * x[i][k];
        double p = 1 / (1 + std::exp(-z)), r = (y[i] == s) - p, q = p * (1 - p);
        for (int a = 0; a < kDim; ++a) {
          g[a] += r * x[i][a];
          for (int b = 0; b <= a; ++b) h[a][b] += q * x[i][a] * x[i][b];
        }
      }
      for (int a = 0; a < kDim; ++a)
        for (int b = a + 1; b < kDim; ++b) h[a][b] = h[b][a];
      Vec step = solve(h, g);
      double change = 0;
      for (int k = 0; k < kDim; ++k) {
        w[k] += step[k];
        change = std::max(change, std::abs(step[k]));
      }
      if (change < 1e-9) break;
    }
    m.weights[s] = w;
  }
  return m;
}

}  // namespace murmur::segment
