// Presets: configs round-trip, features have the documented shapes, overrides are checked, and
// the native pipeline accepts recordings from other stethoscopes (rates, lengths, channels).
#include "pipeline/augment.h"
#include "pipeline/model.h"
#include "pipeline/native.h"
#include "pipeline/registry.h"
#include "pipeline/predictor.h"
#include "pipeline/seed.h"
#include "model/checkpoint.h"
#include "serve/stream_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "data/cache.h"
#include "data/recording.h"
#include "segment_test_util.h"
#include "test_util.h"
#include "util/error.h"

namespace mp = murmur::pipeline;

namespace {

murmur::audio::Audio tone_audio(int rate, double seconds) {
  murmur::audio::Audio a;
  a.sample_rate_hz = rate;
  a.samples.resize(size_t(rate * seconds));
  for (size_t i = 0; i < a.samples.size(); ++i)
    a.samples[i] = 0.3f * float(std::sin(2 * M_PI * 60 * double(i) / rate)) * (i % rate < size_t(rate / 8) ? 1.f : 0.1f);
  return a;
}

}  // namespace

TEST(Preset, NamedPresetsValidateAndRoundTrip) {
  for (auto& name : mp::preset_names()) {
    auto p = mp::make_preset(name);
    EXPECT_EQ(p->name(), name);
    EXPECT_NO_THROW(p->validate()) << name;
    nlohmann::json j = p->to_json();
    EXPECT_EQ(mp::preset_from_json(j)->to_json(), j) << name;
  }
  EXPECT_THROW(mp::make_preset("resnet"), murmur::Error);
}

// Configs keep the JSON that earlier versions wrote into checkpoints and run folders (a changed
// key would make old models unreadable and old cv runs refuse to resume).
TEST(Preset, JsonSectionsAreStable) {
  auto native = mp::make_preset("native")->to_json();
  for (const char* k : {"name", "audio", "log_mel", "train", "native", "net", "robust"})
    EXPECT_TRUE(native.contains(k)) << k;
  EXPECT_EQ(native.size(), 7u);
  // A native preset written before "robust" existed still reads, with robustness training off.
  auto old = native;
  old.erase("robust");
  EXPECT_EQ(mp::preset_from_json(old)->to_json(), native);
  auto seed = mp::make_preset("seed")->to_json();
  for (const char* k : {"name", "audio", "log_mel", "train", "image", "eval"}) EXPECT_TRUE(seed.contains(k)) << k;
  EXPECT_EQ(seed.size(), 6u);
  EXPECT_EQ(seed["eval"]["views"], 1);
  EXPECT_EQ(native["native"]["window_s"], 4.0);
  EXPECT_EQ(native["audio"]["target_rate_hz"], 4000);
}

TEST(Preset, SeedIsTheReferenceRecipe) {
  mp::SeedPreset p;
  EXPECT_EQ(p.audio.target_rate_hz, 22050);
  EXPECT_EQ(p.log_mel.n_mels, 30);
  EXPECT_EQ(p.log_mel.n_fft, 2048);
  EXPECT_EQ(p.log_mel.hop, 512);
  EXPECT_EQ(p.train.batch_size, 16);
  EXPECT_EQ(p.train.epochs, 30);
  EXPECT_DOUBLE_EQ(p.train.lr, 1e-3);
  EXPECT_DOUBLE_EQ(p.train.weight_decay, 0.01);
  EXPECT_DOUBLE_EQ(p.train.stop_at_val_acc, 0.75);
  EXPECT_EQ(p.patient_fusion(), murmur::eval::Fusion::kMean);
}

TEST(Preset, SeedFeaturesArePictureAndTwin) {
  auto p = std::make_shared<mp::SeedPreset>();
  auto stored = p->features(tone_audio(22050, 20.0));
  ASSERT_EQ(stored.sizes(), (std::vector<int64_t>{2, 224, 224, 3}));
  EXPECT_EQ(stored.scalar_type(), torch::kUInt8);
  // The twin is the mirror image (up to PIL's resampling of the mirrored picture).
  auto diff = (stored[0].flip({1}).to(torch::kFloat) - stored[1].to(torch::kFloat)).abs().mean().item<double>();
  EXPECT_LT(diff, 0.5);
  // Training keeps bytes (a quarter of the memory); the network normalises each batch, and a
  // byte batch gives the same logits as the normalised views.
  auto train = p->train_views(stored);
  EXPECT_EQ(train.scalar_type(), torch::kUInt8);
  EXPECT_EQ(train.sizes(), (std::vector<int64_t>{2, 3, 224, 224}));
  auto views = mp::normalise_seed(train, p->image);
  EXPECT_EQ(views.scalar_type(), torch::kFloat);
  auto m = mp::Model::fresh(p);
  m.net.module->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(m.net.forward(train).allclose(m.net.forward(views)));
  // The folded inference network gives the same probabilities.
  auto probs = m.recording_probs(stored);
  auto folded = p->for_inference(m.net);
  EXPECT_TRUE(p->recording_probs(folded, stored).allclose(probs, 1e-5, 1e-6));
  // Evaluation: the picture alone, as the reference evaluated; eval.views = 2 averages the twin in.
  auto picture = torch::softmax(m.net.forward(train.slice(0, 0, 1)), 1)[0];
  auto both = torch::softmax(m.net.forward(train), 1).mean(0);
  EXPECT_TRUE(probs.allclose(picture, 1e-5, 1e-6));
  auto twin = std::make_shared<mp::SeedPreset>(*p);
  twin->eval_views = 2;
  EXPECT_TRUE(twin->recording_probs(m.net, stored).allclose(both, 1e-5, 1e-6));
  // predict and serve compute only the views recording_probs reads: the same bytes, the same answer.
  auto answer = p->answer_features(tone_audio(22050, 20.0));
  ASSERT_EQ(answer.sizes(), (std::vector<int64_t>{1, 224, 224, 3}));
  EXPECT_TRUE(answer.equal(stored.slice(0, 0, 1)));
  EXPECT_TRUE(m.recording_probs(answer).equal(probs));
  EXPECT_TRUE(twin->answer_features(tone_audio(22050, 20.0)).equal(stored));
  const int threads = torch::get_num_threads();
  torch::set_num_threads(2);  // the picture's rows on LibTorch's OpenMP team: the same bytes
  auto on_two = p->answer_features(tone_audio(22050, 20.0));
  torch::set_num_threads(threads);
  EXPECT_TRUE(on_two.equal(answer));
  EXPECT_THROW(mp::with_overrides(*p, {"eval.views=3"}), murmur::Error);
  EXPECT_EQ(static_cast<const mp::SeedPreset&>(*mp::with_overrides(*p, {"eval.views=2"})).eval_views, 2);
}

TEST(Preset, NativeFeaturesAreStandardised) {
  mp::NativePreset p;
  auto stored = p.features(tone_audio(4000, 20.0));
  ASSERT_EQ(stored.dim(), 3);
  EXPECT_EQ(stored.size(1), 32);
  EXPECT_EQ(stored.size(2), 1 + 80000 / 128);
  EXPECT_NEAR(stored.mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(stored.std().item<double>(), 1.0, 1e-3);
  // Training crops are window_s long.
  auto batch = p.augment(torch::stack({p.train_views(stored)[0], p.train_views(stored)[0]}));
  EXPECT_EQ(batch.size(3), p.frames_per_window());
  EXPECT_EQ(p.patient_fusion(), murmur::eval::Fusion::kGeometric);
  // The picture for people: one row of pixels per band and row_px, one column per frame.
  auto pic = p.feature_picture(stored, 2);
  EXPECT_EQ(pic.width, stored.size(2));
  EXPECT_EQ(pic.height, 64);
}

TEST(Preset, ShortTrainingRecordingsAreRepeatedNotPadded) {
  mp::NativePreset p;
  auto stored = p.features(tone_audio(4000, 5.0));  // a quarter of train_s
  const int64_t t = stored.size(2), frames = p.train_frames();
  ASSERT_LT(t * 3, frames);
  auto view = p.train_views(stored);
  ASSERT_EQ(view.sizes(), (std::vector<int64_t>{1, 1, 32, frames}));
  EXPECT_TRUE(view[0].slice(2, 0, t).equal(stored));
  EXPECT_TRUE(view[0].slice(2, t, 2 * t).equal(stored)) << "the recording again, end to end";
  EXPECT_TRUE(view[0].slice(2, 3 * t, frames).equal(stored.slice(2, 0, frames - 3 * t)));
  // No training window is blank: each one's spread is the recording's.
  auto windows = p.augment(view.expand({64, -1, -1, -1}).clone());
  auto spread = windows.flatten(1).std(1);
  EXPECT_GT(spread.min().item<double>(), 0.1);
  // A longer recording is cut; a configuration saved before the setting existed pads with zeros.
  auto long_one = p.features(tone_audio(4000, 30.0));
  EXPECT_TRUE(p.train_views(long_one)[0].equal(long_one.slice(2, 0, frames)));
  nlohmann::json j = p.native;
  j.erase("repeat_short");
  mp::NativePreset old;
  old.native = j.get<mp::NativeFeatureConfig>();
  EXPECT_FALSE(old.native.repeat_short);
  auto padded = old.train_views(stored);
  EXPECT_TRUE(padded[0].slice(2, 0, t).equal(stored));
  EXPECT_EQ(padded[0].slice(2, t, frames).abs().max().item<float>(), 0.f);
}

TEST(Preset, WrongRateIsRefusedWithTheRates) {
  mp::NativePreset p;
  try {
    p.features(tone_audio(8000, 2.0));
    FAIL() << "8 kHz audio was accepted by a 4 kHz preset";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("8000 Hz"), std::string::npos) << e.what();
  }
}

// Other stethoscopes: any rate from 2 kHz, 1 s to 10 minutes, mono or stereo all classify.
TEST(Preset, NativeAcceptsOtherRatesAndLengths) {
  auto p = std::make_shared<mp::NativePreset>();
  auto m = mp::Model::fresh(p);
  for (int rate : {2000, 4000, 8000, 44100}) {
    for (double seconds : {1.0, 20.0}) {
      auto a = murmur::audio::at_rate(tone_audio(rate, seconds), p->audio.target_rate_hz);
      auto probs = m.recording_probs(p->features(a));
      ASSERT_EQ(probs.numel(), 5) << rate << " Hz, " << seconds << " s";
      EXPECT_NEAR(probs.sum().item<double>(), 1.0, 1e-5);
      EXPECT_TRUE(torch::isfinite(probs).all().item<bool>());
    }
  }
  auto probs = m.recording_probs(p->features(tone_audio(4000, 600.0)));
  EXPECT_NEAR(probs.sum().item<double>(), 1.0, 1e-5);
}

// native.phase_channels: the log-mel channel is unchanged, and channels 1 and 2 mark the frames
// that lie in systole and in diastole of a synthetic recording whose beats are known, phased by
// the segmenter fitted on synthetic recordings (the default, fitted on real hearts, finds the
// synthesiser's sounds less well: segment_test.cpp).
TEST(Preset, NativePhaseChannelsMarkSystoleAndDiastole) {
  auto c = murmur::test::draw_segment_case(5, 72);
  c.snr_db = 30;
  c.rate_hz = 4000;
  c.duration_s = 12;
  std::vector<murmur::synth::CardiacCycle> truth;
  murmur::audio::Audio a;
  a.sample_rate_hz = 4000;
  a.samples = murmur::test::render(c, truth);
  mp::NativePreset plain, phased;
  phased.native.phase_channels = true;
  phased.native.phase_segmenter = murmur::segment::SegmentConfig::synthetic();
  EXPECT_NE(plain.feature_json(), phased.feature_json());  // separate feature caches
  const auto mel = plain.features(a), x = phased.features(a);
  ASSERT_EQ(x.size(0), 3);
  EXPECT_TRUE(torch::equal(x[0], mel[0]));
  EXPECT_EQ((x[1] * x[2]).sum().item<double>(), 0.0);  // never both
  EXPECT_TRUE(torch::equal(x[1], x[1][0].expand_as(x[1])));  // the same for every band
  const double hop_s = double(phased.log_mel.hop) / phased.log_mel.sample_rate_hz;
  int inside_systole = 0, marked_systole = 0, inside_diastole = 0, marked_diastole = 0;
  for (const auto& cy : truth) {
    for (int64_t k = 0; k < x.size(2); ++k) {
      const double t = double(k) * hop_s;
      if (t > cy.s1_s + 0.15 && t < cy.s2_s - 0.03) {
        ++inside_systole;
        marked_systole += x[1][0][k].item<float>() == 1.f;
      }
      if (t > cy.s2_s + 0.15 && t < cy.next_s1_s - 0.05) {
        ++inside_diastole;
        marked_diastole += x[2][0][k].item<float>() == 1.f;
      }
    }
  }
  ASSERT_GT(inside_systole, 20);
  ASSERT_GT(inside_diastole, 40);
  EXPECT_GE(marked_systole, 0.9 * inside_systole);
  EXPECT_GE(marked_diastole, 0.9 * inside_diastole);
  // The segmenter is saved with the channels; a configuration saved before it was (no key) was
  // trained with the first segmenter, and gets it back, with a feature cache of its own.
  mp::NativePreset current;
  current.native.phase_channels = true;
  EXPECT_NE(current.feature_json(), phased.feature_json());  // another segmenter, another cache
  nlohmann::json j = current.native;
  EXPECT_EQ(j.at("phase_segmenter").at("emissions"), "physionet2016");
  EXPECT_EQ(nlohmann::json(plain.native).at("phase_segmenter").at("emissions"), "physionet2016");
  // Switched on by --set, as a fresh run does: the default segmenter, not the old one.
  const auto switched = mp::with_overrides(plain, {"native.phase_channels=true"});
  EXPECT_EQ(switched->to_json().at("native").at("phase_segmenter").at("emissions"), "physionet2016");
  j.erase("phase_segmenter");
  mp::NativePreset old;
  old.native = j.get<mp::NativeFeatureConfig>();
  EXPECT_EQ(nlohmann::json(old.native.phase_segmenter), nlohmann::json(murmur::segment::SegmentConfig::synthetic()));
  EXPECT_NE(old.feature_json(), current.feature_json());
  EXPECT_EQ(plain.native.phase_segmenter.emissions, "physionet2016");
}

// Training augmentation masks and shifts the log-mel channel only; the phase channels travel with
// the windows and time reversal, so a frame keeps its label.
TEST(Preset, AugmentationNeverMasksThePhaseChannels) {
  torch::manual_seed(11);
  mp::NativePreset p;
  p.native.phase_channels = true;
  p.native.freq_masks = 4;
  p.native.time_masks = 4;
  // Channel 0 = 1 + frame index; channels 1 and 2 = frame index parity (a per-frame label).
  auto t = torch::arange(300, torch::kFloat);
  auto batch = torch::stack({(t + 1).expand({32, 300}), torch::remainder(t, 2).expand({32, 300}),
                             1 - torch::remainder(t, 2).expand({32, 300})}).unsqueeze(0).repeat({8, 1, 1, 1});
  const auto x = p.augment(batch);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{8, 3, 32, p.frames_per_window()}));
  EXPECT_TRUE(torch::equal(x.select(1, 1) + x.select(1, 2), torch::ones_like(x.select(1, 1))));
  EXPECT_TRUE(torch::equal(x.select(1, 1), x.select(1, 1).slice(1, 0, 1).expand_as(x.select(1, 1))));
  EXPECT_GT((x.select(1, 0) == 0).sum().item<int64_t>(), 0);  // the masks did fall on channel 0
  // Where channel 0 was not masked, its frame index still has the parity channel 1 says.
  const auto kept = x.select(1, 0) != 0;
  const auto parity = torch::remainder(x.select(1, 0) - 1, 2);
  EXPECT_TRUE(torch::equal(parity.masked_select(kept), x.select(1, 1).masked_select(kept)));
  const auto g = mp::random_gain(x, 6.0);
  EXPECT_TRUE(torch::equal(g.slice(1, 1, 3), x.slice(1, 1, 3)));
  EXPECT_FALSE(torch::equal(g.select(1, 0), x.select(1, 0)));
}

TEST(Preset, OverridesAreCheckedAndApplied) {
  auto p = mp::make_preset("native");
  auto q = mp::with_overrides(*p, {"native.time_reverse=false", "train.epochs=7", "log_mel.n_mels=48"});
  auto* n = dynamic_cast<const mp::NativePreset*>(q.get());
  ASSERT_NE(n, nullptr);
  EXPECT_FALSE(n->native.time_reverse);
  EXPECT_EQ(n->train.epochs, 7);
  EXPECT_EQ(n->log_mel.n_mels, 48);
  EXPECT_THROW(mp::with_overrides(*p, {"native.no_such_field=1"}), murmur::Error);
  EXPECT_THROW(mp::with_overrides(*p, {"epochs=7"}), murmur::Error);
  EXPECT_THROW(mp::with_overrides(*p, {"log_mel.fmax_hz=3000"}), murmur::Error);  // above Nyquist
  // Training settings a preset's JSON holds only when set (a start, a freezing schedule) can be set.
  auto frozen = mp::with_overrides(*p, {"train.freeze_prefix=trunk.", "train.freeze_epochs=5",
                                        "train.unfreeze_lr_scale=0.3"});
  EXPECT_EQ(frozen->train.freeze_prefix, "trunk.");
  EXPECT_EQ(frozen->train.freeze_epochs, 5);
  EXPECT_DOUBLE_EQ(frozen->train.unfreeze_lr_scale, 0.3);
  EXPECT_THROW(mp::with_overrides(*p, {"train.no_such_field=1"}), murmur::Error);
}

// A bad --set value is refused with the key exactly as the user typed it.
TEST(Preset, ValidationErrorsNameTheSetKey) {
  auto p = mp::make_preset("native");
  for (auto [set, key] : {std::pair<std::string, std::string>{"native.window_s=-1", "native.window_s: "},
                          {"native.crops_per_epoch=0", "native.crops_per_epoch: "},
                          {"train.epochs=0", "train.epochs: "},
                          {"log_mel.n_fft=-1", "log_mel.n_fft: "}}) {
    try {
      mp::with_overrides(*p, {set});
      ADD_FAILURE() << set << " was accepted";
    } catch (const murmur::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(key, 0), 0u) << set << " -> " << e.what();
    }
  }
}

TEST(FeatureCache, ComputesOnceAndKeysOnContentAndConfig) {
  std::string dir = murmur::test::temp_dir("cache");
  std::string wav = murmur::test::data_path("log_mel/synth_chirp.wav");
  murmur::data::FeatureCache cache(dir + "/cache");
  int calls = 0;
  auto compute = [&] { ++calls; return torch::arange(6, torch::kFloat).reshape({2, 3}); };
  auto a = cache.get_or_compute(wav, {{"k", 1}}, compute);
  auto b = cache.get_or_compute(wav, {{"k", 1}}, compute);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(a.equal(b));
  cache.get_or_compute(wav, {{"k", 2}}, compute);
  EXPECT_EQ(calls, 2) << "a different config must not read the cached entry";
}

TEST(FeatureCache, RawTensorRoundTripAndCorruption) {
  std::string dir = murmur::test::temp_dir("rawtensor");
  auto t = torch::randint(0, 255, {2, 5, 3}).to(torch::kUInt8);
  murmur::data::write_tensor_raw(dir + "/t.mt", t);
  EXPECT_TRUE(murmur::data::read_tensor_raw(dir + "/t.mt").equal(t));
  std::ofstream(dir + "/bad.mt") << "MURMTEN1garbage";
  EXPECT_THROW(murmur::data::read_tensor_raw(dir + "/bad.mt"), murmur::Error);
}

// An unwritable cache folder must not lose the features (nor the recording).
TEST(FeatureCache, UnwritableCacheStillComputes) {
  std::string dir = murmur::test::temp_dir("cache_ro");
  std::ofstream(dir + "/file") << "a file where the cache folder should be";
  murmur::data::FeatureCache cache(dir + "/file/cache");
  auto t = cache.get_or_compute(murmur::test::data_path("log_mel/synth_chirp.wav"), {{"k", 1}},
                                [] { return torch::ones({2}); });
  EXPECT_TRUE(t.equal(torch::ones({2})));
}

// Every preset answers any recording of 1 s or more, at any common rate, through the one
// inference path (predict, evaluate, stream and serve all use pipeline::Predictor). The seed
// preset draws short clips with matplotlib's data-stage path (SeedImage.DataStageMatchesMatplotlib).
TEST(Preset, EveryPresetAnswersRecordingsOfOneSecondOrMore) {
  torch::set_num_threads(1);
  for (const std::string name : {"native", "seed"}) {
    torch::manual_seed(0);
    auto m = mp::Model::fresh(mp::make_preset(name));
    murmur::model::Checkpoint ck;
    ck.state_dict = murmur::model::state_dict(*m.net.module);
    for (size_t i = 0; i < murmur::data::kClassNames.size(); ++i) ck.label_to_idx[murmur::data::kClassNames[i]] = int64_t(i);
    ck.murmur_config = m.preset->to_json();
    const std::string path = murmur::test::temp_dir("any_length_" + name) + "/model.pth";
    murmur::model::write_checkpoint(path, ck);
    auto predictor = mp::Predictor::open(path);
    for (int rate : {4000, 8000, 44100})
      for (double seconds : {1.0, 2.0, 5.0}) {
        torch::Tensor probs;
        ASSERT_NO_THROW(probs = predictor.predict_audio(tone_audio(rate, seconds))) << name << " " << rate << " Hz " << seconds << " s";
        ASSERT_EQ(probs.numel(), 5);
        EXPECT_NEAR(probs.sum().item<double>(), 1.0, 1e-5) << name;
      }
    // The stream engine's first window.
    murmur::serve::StreamConfig sc;
    sc.window_s = 1.0;
    murmur::serve::StreamEngine engine(murmur::serve::stream_model(predictor), 8000, sc);
    auto a = tone_audio(8000, 2.0);
    auto hops = engine.push(a.samples.data(), a.samples.size());
    ASSERT_FALSE(hops.empty()) << name;
    ASSERT_TRUE(hops.front().probabilities.has_value()) << name << ": " << hops.front().quality.status;
  }
}

TEST(Preset, CentredBandsCancelAFixedStethoscopeResponse) {
  // Noise bursts once a second (heart-sound-like envelope), then the same through a fixed filter
  // y[n] = 0.05 x[n] + 0.95 y[n-1] (a one-pole low-pass: 25 dB more at 25 Hz than at 800 Hz,
  // about the spread between the devices at hand, docs/RESULTS.md section 6).
  murmur::audio::Audio a, tilted;
  a.sample_rate_hz = tilted.sample_rate_hz = 4000;
  torch::manual_seed(3);
  auto noise = torch::randn({4000 * 20});
  a.samples.resize(size_t(noise.size(0)));
  for (size_t i = 0; i < a.samples.size(); ++i)
    a.samples[i] = 0.2f * noise[int64_t(i)].item<float>() * (i % 4000 < 600 ? 1.f : 0.05f);
  tilted.samples = a.samples;
  for (size_t i = 1; i < a.samples.size(); ++i) tilted.samples[i] = 0.05f * a.samples[i] + 0.95f * tilted.samples[i - 1];
  mp::NativePreset plain, centred;
  EXPECT_TRUE(centred.native.centre_bands);  // the default of the native family
  plain.native.centre_bands = false;
  EXPECT_EQ(centred.feature_json()["centre_bands"], true);
  EXPECT_FALSE(plain.feature_json().contains("centre_bands"));  // older caches keep their keys
  const auto c = centred.features(a), ct = centred.features(tilted);
  EXPECT_LT(c.mean(2).abs().max().item<double>(), 1e-4);  // every band's mean over time is 0
  EXPECT_NEAR(c.std().item<double>(), 1.0, 1e-3);
  const double moved_plain = (plain.features(a) - plain.features(tilted)).abs().mean().item<double>();
  const double moved_centred = (c - ct).abs().mean().item<double>();
  EXPECT_GT(moved_plain, 0.15) << "the filter should move the plain features";
  EXPECT_LT(moved_centred, moved_plain / 5) << "centred bands should not see the filter";
  // Presets of the native family take it; the pretrained encoder's frontend refuses it.
  EXPECT_NO_THROW(mp::with_overrides(*mp::make_preset("pooled"), {"native.centre_bands=true"}));
  EXPECT_THROW(mp::with_overrides(*mp::make_preset("efficientat"), {"native.centre_bands=true"}), murmur::Error);
  EXPECT_FALSE(mp::make_preset("efficientat")->to_json()["native"]["centre_bands"].get<bool>());
  // A configuration saved before the setting existed was trained without it: absent reads as off.
  auto saved = mp::make_preset("valves")->to_json();
  EXPECT_TRUE(saved["native"]["centre_bands"].get<bool>());
  saved["native"].erase("centre_bands");
  EXPECT_FALSE(dynamic_cast<const mp::NativePreset&>(*mp::preset_from_json(saved)).native.centre_bands);
}
