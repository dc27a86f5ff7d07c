// Explanations by occlusion (pipeline/explain.h): the masks land on the frames and bands asked
// for, and a model that listens only to diastole at 100-200 Hz is explained as exactly that.
#include "pipeline/explain.h"

#include <gtest/gtest.h>

#include "data/recording.h"
#include "model/checkpoint.h"
#include "pipeline/model.h"
#include "pipeline/native.h"
#include "pipeline/registry.h"
#include "segment_test_util.h"
#include "test_util.h"
#include "util/error.h"

namespace mp = murmur::pipeline;

namespace {

// A "model" whose AR probability rises with the log-mel energy in diastole between 100 and
// 200 Hz and nothing else (the phase channels say where diastole is): its explanation must be
// "diastolic, 100-200 Hz".
class DiastoleListener : public mp::NativePreset {
 public:
  DiastoleListener() { native.phase_channels = true; }
  std::string name() const override { return "test_diastole_listener"; }
  std::unique_ptr<mp::Preset> clone() const override { return std::make_unique<DiastoleListener>(*this); }
  torch::Tensor recording_probs(const mp::Network&, const torch::Tensor& stored) const override {
    const auto band = band_rows();
    auto mel = stored[0].index_select(0, band), diastole = stored[2][0];
    auto m = (mel * diastole).sum() / (diastole.sum() * double(band.numel()) + 1e-6);
    auto logits = torch::zeros({5});
    logits[0] = 20 * m * m;  // AR
    return torch::softmax(logits, 0);
  }
  // The mel bands whose filter peaks between 100 and 200 Hz (as NativePreset::occluded decides).
  torch::Tensor band_rows() const {
    const std::vector<double> hz = band_peak_hz();
    std::vector<int64_t> rows;
    for (size_t b = 0; b < hz.size(); ++b)
      if (hz[b] >= 100 && hz[b] < 200) rows.push_back(int64_t(b));
    return torch::tensor(rows);
  }
};

const bool registered =
    (mp::register_preset("test_diastole_listener", [] { return std::make_unique<DiastoleListener>(); }), true);

std::string save(const std::shared_ptr<mp::Preset>& preset, const std::string& tag) {
  torch::manual_seed(0);
  auto m = mp::Model::fresh(preset);
  murmur::model::Checkpoint ck;
  ck.state_dict = murmur::model::state_dict(*m.net.module);
  for (size_t i = 0; i < murmur::data::kClassNames.size(); ++i) ck.label_to_idx[murmur::data::kClassNames[i]] = int64_t(i);
  ck.murmur_config = m.preset->to_json();
  const std::string path = murmur::test::temp_dir("explain_" + tag) + "/model.pth";
  murmur::model::write_checkpoint(path, ck);
  return path;
}

murmur::audio::Audio murmur_recording(int cls) {
  auto c = murmur::test::draw_segment_case(7, 70);
  c.cls = cls;
  c.snr_db = 30;
  c.duration_s = 10;
  std::vector<murmur::synth::CardiacCycle> truth;
  murmur::audio::Audio a;
  a.sample_rate_hz = c.rate_hz;
  a.samples = murmur::test::render(c, truth);
  return a;
}

TEST(Explain, OcclusionMasksTheFramesAndBandsAskedFor) {
  mp::NativePreset p;
  p.native.phase_channels = true;
  const auto stored = torch::ones({3, 32, 100});
  const double hop_s = double(p.log_mel.hop) / p.log_mel.sample_rate_hz;  // 32 ms
  auto x = p.occluded(stored, {{{0.1, 0.3}, {1.0, 1.05}}, 0, 0});
  for (int64_t k = 0; k < 100; ++k) {
    const double t = double(k) * hop_s;
    const bool masked = (t >= 0.1 && t < 0.3) || (t >= 1.0 && t < 1.05);
    EXPECT_EQ(x[0][5][k].item<float>(), masked ? 0.f : 1.f) << "frame " << k;
  }
  EXPECT_TRUE(torch::equal(x.slice(0, 1, 3), stored.slice(0, 1, 3))) << "phase channels are never masked";
  auto y = p.occluded(stored, {{}, 100, 200});
  const int64_t zero_rows = (y[0].sum(1) == 0).sum().item<int64_t>();
  EXPECT_GT(zero_rows, 0);
  EXPECT_LT(zero_rows, 32);
  EXPECT_EQ((y[0] == 0).sum().item<int64_t>(), zero_rows * 100) << "whole rows, nothing else";
  EXPECT_THROW(mp::make_preset("seed")->occluded(stored, {}), murmur::Error);
}

TEST(Explain, NamesThePhaseAndBandAModelListensTo) {
  torch::set_num_threads(1);
  auto predictor = mp::Predictor::open(save(std::make_shared<DiastoleListener>(), "listener"));
  const auto e = mp::explain(predictor, murmur_recording(3 /* MS: a diastolic rumble */), {}, "ms.wav");
  ASSERT_EQ(e.all.size(), 5u);
  ASSERT_EQ(e.explained, std::vector<size_t>{0}) << e.sentence;
  const auto& ar = e.all[0];
  EXPECT_EQ(ar.phase, "diastolic") << e.sentence;
  ASSERT_GE(ar.strongest_band, 0) << e.sentence;
  EXPECT_EQ(ar.bands[size_t(ar.strongest_band)].lo_hz, 100) << e.sentence;
  EXPECT_NEAR(ar.systole_drop, 0, 1e-9) << "systole is never looked at";
  EXPECT_GT(ar.diastole_drop, 0.05);
  EXPECT_GT(e.heart_rate_bpm, 60);
  EXPECT_LT(e.heart_rate_bpm, 80);
  EXPECT_GT(e.diastole_share, e.systole_share);
  EXPECT_NE(e.sentence.find("AR: diastolic, 100-200 Hz"), std::string::npos) << e.sentence;
  EXPECT_NE(mp::sentence(ar, "Mit").find("100-200 Hz, strongest at Mit ("), std::string::npos);
  const auto j = mp::to_json(e);
  EXPECT_EQ(j["classes"][0]["expected_phase"], "diastolic");
  EXPECT_EQ(j["classes"][0]["strongest_band"], "100-200 Hz");
  // The picture: the phases shaded, the band relied on outlined, the occlusions as bars under it.
  const auto rec = murmur_recording(3);
  const std::string svg = mp::explanation_svg(rec, e, "ms.wav");
  EXPECT_NE(svg.find("AR relied most on 100-200 Hz"), std::string::npos);
  EXPECT_NE(svg.find(">AR: diastolic</text>"), std::string::npos);
  EXPECT_NE(svg.find("without 400-800 Hz"), std::string::npos);
  EXPECT_FALSE(e.segmentation.segments.empty()) << "the segmentation it was explained by";
  // The first segmenter, asked for by name, marks the phases of this synthetic recording too.
  mp::ExplainConfig first;
  first.segmenter = "synthetic";
  const auto by_first = mp::explain(predictor, rec, first, "ms.wav");
  EXPECT_EQ(by_first.all[0].phase, "diastolic") << by_first.sentence;
  EXPECT_NE(by_first.segmentation.states, e.segmentation.states) << "another segmenter, other frames";
  EXPECT_THROW(mp::write_explanation_picture(murmur::test::temp_dir("explain_png") + "/x.png", rec, e, "x"),
               murmur::Error);
}

TEST(Explain, RefusesWhatCannotBeExplained) {
  auto predictor = mp::Predictor::open(save(std::make_shared<DiastoleListener>(), "refuse"));
  murmur::audio::Audio half;
  half.sample_rate_hz = 4000;
  half.samples.assign(2000, 0.1f);
  try {
    mp::explain(predictor, half, {}, "half_second.wav");
    ADD_FAILURE() << "a 0.5 s clip was explained";
  } catch (const murmur::Error& err) {
    EXPECT_NE(std::string(err.what()).find("half_second.wav"), std::string::npos) << err.what();
  }
  mp::ExplainConfig bad;
  bad.band_edges_hz = {200, 100};
  EXPECT_THROW(mp::explain(predictor, murmur_recording(4), bad), murmur::Error);
  mp::ExplainConfig unknown;
  unknown.segmenter = "springer";
  EXPECT_THROW(mp::explain(predictor, murmur_recording(4), unknown), murmur::Error);
  EXPECT_EQ(mp::expected_phase("AS"), "systolic");
  EXPECT_EQ(mp::expected_phase("MR"), "systolic");
  EXPECT_EQ(mp::expected_phase("AR"), "diastolic");
  EXPECT_EQ(mp::expected_phase("MS"), "diastolic");
  EXPECT_EQ(mp::expected_phase("N"), "");
}

}  // namespace
