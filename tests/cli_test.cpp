// End-to-end: the murmur binary on a small synthetic data set, and on the reference's files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "util/fs.h"

namespace {

struct CliRun {
  int code;
  std::string out;  // stdout and stderr
};

// The binary with exactly these arguments (and `env`, "NAME=value ...", in its environment).
CliRun run_raw(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + std::string(MURMUR_BINARY) + " " + args + " 2>&1";
  CliRun r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CliRun run_murmur(const std::string& args) { return run_raw("-q --threads 2 " + args); }

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// The JSON document in a run's output (stderr lines, merged in, may come before and after it).
nlohmann::json json_in(const std::string& out) {
  return nlohmann::json::parse(out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1));
}

// `args` run by `murmur` without LibTorch (MURMUR_LIBTORCH=0 forbids handing over) and by
// murmur-torch (MURMUR_LIBTORCH=1): the same exit code, skips and classes, probabilities within
// 1e-5, patients included.
void expect_launcher_answers_as_libtorch(const std::string& args, int code) {
  CliRun native = run_raw(args, "MURMUR_LIBTORCH=0"), torch_side = run_raw(args, "MURMUR_LIBTORCH=1");
  ASSERT_EQ(native.code, code) << native.out;
  ASSERT_EQ(torch_side.code, code) << torch_side.out;
  auto nj = json_in(native.out), tj = json_in(torch_side.out);
  EXPECT_EQ(nj["skipped"], tj["skipped"]);
  EXPECT_EQ(nj["preset"], tj["preset"]);
  EXPECT_EQ(nj["n_models"], tj["n_models"]);
  for (const char* part : {"recordings", "patients"}) {
    ASSERT_EQ(nj[part].size(), tj[part].size()) << part;
    for (size_t i = 0; i < nj[part].size(); ++i) {
      EXPECT_EQ(nj[part][i]["class"], tj[part][i]["class"]);
      for (auto& [name, pr] : tj[part][i]["probabilities"].items())
        EXPECT_NEAR(nj[part][i]["probabilities"][name].get<double>(), pr.get<double>(), 1e-5) << part << " " << name;
    }
  }
}


// One synthetic data set (15 patients, 120 recordings) for the whole test binary.
const std::string& work_dir() {
  static const std::string dir = [] {
    std::string d = murmur::test::temp_dir("cli");
    CliRun r = run_murmur("synth -o " + d + "/data --patients 15 --seed 3");
    if (r.code != 0) ADD_FAILURE() << r.out;
    return d;
  }();
  return dir;
}

}  // namespace

TEST(Cli, IndexSynthetic) {
  CliRun r = run_murmur("--json index " + work_dir() + "/data");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["summary"]["n_recordings"], 120);
  EXPECT_EQ(j["summary"]["n_patients"], 15);
}

// Users type global flags where they think of them: after the subcommand and its arguments too.
TEST(Cli, GlobalFlagsWorkAfterTheSubcommand) {
  CliRun r = run_raw("index " + work_dir() + "/data --json --threads 1 -q");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["summary"]["n_recordings"], 120);
  CliRun mixed = run_raw("--threads 1 index --json " + work_dir() + "/data");
  ASSERT_EQ(mixed.code, 0) << mixed.out;
  EXPECT_EQ(nlohmann::json::parse(mixed.out)["summary"]["n_patients"], 15);
}

// Devices and pipes are refused by name without being read (/dev/zero never ends, a FIFO blocks),
// and the rest of the batch is still done; a folder that holds no data set is an error that
// writes nothing.
TEST(Cli, SpecialFilesAndEmptyFoldersAreNamedAndSkipped) {
  const std::string d = murmur::test::temp_dir("cli_special");
  const std::string fifo = d + "/pipe.wav";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  CliRun r = run_murmur("--json spectrogram /dev/zero -o " + d + "/z.png");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "/dev/zero: is not a regular file")) << r.out;
  std::filesystem::create_directories(d + "/folder.wav");
  CliRun s = run_murmur("spectrogram " + d + "/folder.wav -o " + d + "/x.png");
  EXPECT_EQ(s.code, 1) << s.out;
  EXPECT_TRUE(contains(s.out, "no single-label recordings")) << s.out;
  EXPECT_FALSE(std::filesystem::exists(d + "/x.png"));
  if (murmur::test::shared_dir().empty()) GTEST_SKIP() << "../shared (reference checkpoint) not present";
  const std::string wav = work_dir() + "/data/train/N_001_sit_Aor.wav";
  CliRun p = run_murmur("--json predict -m " + murmur::test::shared_dir() + "/reference/seed_model.pth /dev/null " +
                        fifo + " " + wav);
  EXPECT_EQ(p.code, 3) << p.out;
  auto j = json_in(p.out);
  EXPECT_EQ(j["recordings"].size(), 1u);
  EXPECT_EQ(j["skipped"].size(), 2u);
}

TEST(Cli, SpectrogramOneFileAndBadInput) {
  std::string wav = work_dir() + "/data/train/N_001_sit_Aor.wav";
  ASSERT_TRUE(std::filesystem::exists(wav));
  CliRun r = run_murmur("spectrogram " + wav + " -o " + work_dir() + "/n.png");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(work_dir() + "/n.png"));
  CliRun bad = run_murmur("spectrogram " + work_dir() + "/nope.wav -o " + work_dir() + "/x.png");
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(contains(bad.out, "nope.wav: no such file")) << bad.out;
}

// Train, predict (with a bad file in the batch), cross-validate twice, compare, resume.
TEST(Cli, TrainPredictCvCompare) {
  const std::string d = work_dir();
  CliRun t = run_murmur("train --preset native --data " + d + "/data --epochs 2 -o " + d + "/model");
  ASSERT_EQ(t.code, 0) << t.out;
  for (auto f : {"model.pth", "class_names.json", "metrics.json"})
    EXPECT_TRUE(std::filesystem::exists(d + "/model/" + f)) << f;
  std::ofstream(d + "/corrupt.wav") << "RIFF....WAVEfmt garbage";
  CliRun p = run_murmur("--json predict --model " + d + "/model/model.pth " + d + "/data/train/AS_002_sit_Aor.wav " + d +
                 "/corrupt.wav " + d + "/data/train/AS_002_sup_Mit.wav");
  ASSERT_EQ(p.code, 3) << "some inputs failed: its own exit code\n" << p.out;
  auto j = json_in(p.out);
  EXPECT_EQ(j["recordings"].size(), 2u);
  EXPECT_EQ(j["skipped"].size(), 1u);
  EXPECT_TRUE(contains(j["skipped"][0].get<std::string>(), "corrupt.wav")) << p.out;
  EXPECT_EQ(j["patients"][0]["patient"], "AS_002");
  // `murmur` answered without LibTorch (MURMUR_LIBTORCH=0 forbids handing over); LibTorch's
  // answers (MURMUR_LIBTORCH=1, murmur-torch) are the same within 1e-5, patients included.
  const std::string batch = "-q --threads 2 --json predict --model " + d + "/model/model.pth " + d +
                            "/data/train/AS_002_sit_Aor.wav " + d + "/corrupt.wav " + d + "/data/train/AS_002_sup_Mit.wav";
  expect_launcher_answers_as_libtorch(batch, 3);
  CliRun needs = run_raw("-q predict --set eval.views=1 --model " + d + "/model/model.pth " + d +
                         "/data/train/AS_002_sit_Aor.wav", "MURMUR_LIBTORCH=0");
  EXPECT_EQ(needs.code, 1) << needs.out;
  EXPECT_TRUE(contains(needs.out, "MURMUR_LIBTORCH=0, but this needs LibTorch")) << needs.out;
  // --explain: each answer with the phase and band it relied on; the patient's names its site.
  // `murmur` explains without LibTorch as murmur-torch does.
  const std::string pair = d + "/data/train/AS_002_sit_Aor.wav " + d + "/data/train/AS_002_sup_Mit.wav";
  const std::string explain = "--json predict --explain --model " + d + "/model/model.pth " + pair;
  CliRun why = run_raw(explain, "MURMUR_LIBTORCH=0"), why_torch = run_raw(explain, "MURMUR_LIBTORCH=1");
  ASSERT_EQ(why.code, 0) << why.out;
  ASSERT_EQ(why_torch.code, 0) << why_torch.out;
  auto wj = json_in(why.out), wt = json_in(why_torch.out);
  ASSERT_EQ(wj["recordings"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& r = wj["recordings"][i];
    for (auto& [name, pr] : j["recordings"][i]["probabilities"].items())
      EXPECT_NEAR(r["probabilities"][name].get<double>(), pr.get<double>(), 1e-5) << "explaining changes no answer";
    const auto& c = r["explanation"]["classes"][0];
    EXPECT_EQ(c["class"], r["class"]);
    const std::string phase = c["phase"];
    EXPECT_TRUE(phase == "systolic" || phase == "diastolic" || phase == "both" || phase == "unclear") << phase;
    EXPECT_EQ(c["bands"].size(), 4u);
    const auto& ct = wt["recordings"][i]["explanation"]["classes"][0];
    EXPECT_EQ(c["phase"], ct["phase"]);
    EXPECT_EQ(c["strongest_band"], ct["strongest_band"]);
    for (const char* key : {"p_without_systole", "p_without_diastole"})
      EXPECT_NEAR(c[key].get<double>(), ct[key].get<double>(), 1e-5) << key;
  }
  EXPECT_TRUE(contains(wj["patients"][0]["explanation"]["sentence"].get<std::string>(), ", strongest at ")) << why.out;
  EXPECT_EQ(wj["patients"][0]["explanation"]["classes"][0]["recording"],
            wt["patients"][0]["explanation"]["classes"][0]["recording"]);
  CliRun why_text = run_murmur("predict --explain --pictures " + d + "/why --model " + d + "/model/model.pth " + pair);
  EXPECT_TRUE(contains(why_text.out, "    why: ")) << why_text.out;
  // --pictures: the explanation over the recording, phases shaded, the occlusions drawn under it.
  const std::string picture = murmur::util::read_file(d + "/why/AS_002_sit_Aor.svg");
  EXPECT_TRUE(contains(picture, "<svg") && contains(picture, "without diastole")) << picture.substr(0, 200);
  CliRun lonely = run_murmur("predict --pictures " + d + "/why --model " + d + "/model/model.pth " + pair);
  EXPECT_EQ(lonely.code, 1);
  EXPECT_TRUE(contains(lonely.out, "add --explain")) << lonely.out;
  // Evaluate reads the split from the checkpoint; the epoch log sits next to it.
  CliRun ev = run_murmur("--json evaluate --model " + d + "/model/model.pth --data " + d + "/data");
  ASSERT_EQ(ev.code, 0) << ev.out;
  auto ej = nlohmann::json::parse(ev.out.substr(ev.out.find('{')));
  EXPECT_EQ(ej["split"], "patient");
  EXPECT_GT(ej["metrics"]["n_recordings"].get<int>(), 0);
  EXPECT_LT(ej["metrics"]["n_recordings"].get<int>(), 120) << "only the test side";
  std::ifstream epochs(d + "/model/epochs.jsonl");
  std::string line;
  int n_lines = 0;
  while (std::getline(epochs, line)) n_lines += nlohmann::json::parse(line).contains("val_acc");
  EXPECT_EQ(n_lines, 2);

  CliRun a = run_murmur("cv --preset native --data " + d + "/data --folds 2 --epochs 1 --bootstrap 50 --no-shifts -o " +
                        d + "/cv_a");
  ASSERT_EQ(a.code, 0) << a.out;
  for (auto f : {"report.json", "report.html", "oof_predictions.csv", "repeat0/fold1/model.pth"})
    EXPECT_TRUE(std::filesystem::exists(d + "/cv_a/" + f)) << f;
  // Every test patient explained by its own fold model: the listening table, the misclassified.
  auto report = nlohmann::json::parse(std::ifstream(d + "/cv_a/report.json"));
  const auto& x = report["explanations"];
  ASSERT_TRUE(x.is_object()) << report.dump().substr(0, 300);
  EXPECT_EQ(x["patients_explained"], 15);
  ASSERT_EQ(x["listens"].size(), 4u);
  for (const auto& w : x["misclassified"]) {
    EXPECT_NE(w["true"], w["answer"]);
    if (w.contains("picture")) EXPECT_TRUE(std::filesystem::exists(d + "/cv_a/" + w["picture"].get<std::string>()));
  }
  EXPECT_TRUE(contains(murmur::util::read_file(d + "/cv_a/report.html"), "does the model listen where a cardiologist would"));
  EXPECT_FALSE(report.contains("shifts")) << "--no-shifts (the bench is tested with the toy preset)";
  // Each fold's temperature, fitted on its validation patients; the error before and after it.
  const auto& cal = report["calibration"];
  ASSERT_EQ(cal["temperatures"].size(), 2u) << cal.dump().substr(0, 300);
  EXPECT_TRUE(cal["uncalibrated"]["recording"]["ece"].is_number());
  EXPECT_EQ(cal["recording"]["n"], 120);
  EXPECT_TRUE(contains(murmur::util::read_file(d + "/cv_a/report.html"), "Calibration: do the probabilities mean"));
  // Re-running finds every fold done and only rebuilds the report.
  CliRun again = run_murmur("cv --preset native --data " + d + "/data --folds 2 --epochs 1 --bootstrap 50 --no-shifts -o " +
                            d + "/cv_a");
  ASSERT_EQ(again.code, 0) << again.out;
  // A different configuration must not be mixed into the same run folder.
  CliRun clash = run_murmur("cv --preset native --data " + d + "/data --folds 3 --epochs 1 -o " + d + "/cv_a");
  EXPECT_NE(clash.code, 0);
  EXPECT_TRUE(contains(clash.out, "different configuration")) << clash.out;
  // One fold at a time into a second run, then the rest.
  std::string b_args = "cv --preset native --data " + d + "/data --folds 2 --epochs 1 --bootstrap 50 --set native.time_reverse=false --no-shifts -o " + d + "/cv_b";
  CliRun b0 = run_murmur(b_args + " --fold 0");
  ASSERT_EQ(b0.code, 0) << b0.out;
  EXPECT_TRUE(contains(b0.out, "folds done: 1 of 2")) << b0.out;
  CliRun b1 = run_murmur(b_args);
  ASSERT_EQ(b1.code, 0) << b1.out;
  CliRun c = run_murmur("--json compare " + d + "/cv_a " + d + "/cv_b");
  ASSERT_EQ(c.code, 0) << c.out;
  auto cj = nlohmann::json::parse(c.out);
  EXPECT_TRUE(cj.contains("mcnemar")) << c.out;
  // The cluster way (docs/cluster.md): each fold a job of its own into its own folder, then merged.
  std::string a_args = "cv --preset native --data " + d + "/data --folds 2 --epochs 1 --bootstrap 50 --no-shifts -o ";
  ASSERT_EQ(run_murmur(a_args + d + "/part0 --fold 0").code, 0);
  CliRun st = run_murmur("status " + d + "/part0");
  ASSERT_EQ(st.code, 0) << st.out;
  EXPECT_TRUE(contains(st.out, "done     repeat0/fold0  murmur ")) << st.out;
  EXPECT_TRUE(contains(st.out, "missing  repeat0/fold1")) << st.out;
  ASSERT_EQ(run_murmur(a_args + d + "/part1 --fold 1").code, 0);
  CliRun wrong = run_murmur("merge -o " + d + "/merged " + d + "/part0 " + d + "/cv_b");
  EXPECT_NE(wrong.code, 0);
  EXPECT_TRUE(contains(wrong.out, "are different runs")) << wrong.out;
  {  // a fold made by other code is refused
    std::filesystem::copy(d + "/part1", d + "/other_commit", std::filesystem::copy_options::recursive);
    const std::string done_path = d + "/other_commit/repeat0/fold1/done.json";
    auto done = nlohmann::json::parse(murmur::util::read_file(done_path));
    done["murmur_commit"] = "0000000";
    murmur::util::write_file_atomic(done_path, done.dump());
    CliRun other = run_murmur("merge -o " + d + "/merged_other " + d + "/part0 " + d + "/other_commit");
    EXPECT_NE(other.code, 0);
    EXPECT_TRUE(contains(other.out, "was made by murmur 0000000")) << other.out;
  }
  CliRun m = run_murmur("merge -o " + d + "/merged " + d + "/part0 " + d + "/part1");
  ASSERT_EQ(m.code, 0) << m.out;
  EXPECT_TRUE(contains(m.out, "none missing")) << m.out;
  CliRun mr = run_murmur(a_args + d + "/merged");
  ASSERT_EQ(mr.code, 0) << mr.out;
  EXPECT_EQ(murmur::util::read_file(d + "/merged/repeat0/fold1/done.json"), murmur::util::read_file(d + "/part1/repeat0/fold1/done.json"))
      << "every fold was there: nothing trained again";
  EXPECT_EQ(murmur::util::read_file(d + "/merged/oof_predictions.csv"), murmur::util::read_file(d + "/cv_a/oof_predictions.csv"))
      << "folds run as separate jobs answer as the serial run";
  // The fold ensemble predicts too.
  CliRun e = run_murmur("predict --model " + d + "/cv_a " + d + "/data/train/N_001_sit_Aor.wav");
  ASSERT_EQ(e.code, 0) << e.out;
}

// The model to ship: every patient learnt from, members in one file that predict loads; evaluate
// refuses it (nothing held out); a rerun finds the members done and writes the same model.
TEST(Cli, TrainOnAllPatientsShipsOneFile) {
  const std::string d = work_dir();
  const std::string args = "train --preset native --data " + d + "/data --split all --members 2 --epochs 1 -o " + d + "/ship";
  CliRun t = run_murmur("--json " + args);
  ASSERT_EQ(t.code, 0) << t.out;
  auto j = json_in(t.out);
  ASSERT_EQ(j["members"].size(), 2u);
  EXPECT_EQ(j["split"], "all");
  for (const auto& m : j["members"]) EXPECT_GT(m["n_val_recordings"].get<int>(), 0);
  const std::string wav = d + "/data/train/AS_002_sit_Aor.wav";
  CliRun p = run_murmur("--json predict --model " + d + "/ship/model.pth " + wav);
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_EQ(json_in(p.out)["n_models"], 2);
  CliRun member = run_murmur("--json predict --model " + d + "/ship/members/1/model.pth " + wav);
  ASSERT_EQ(member.code, 0) << member.out;
  EXPECT_NE(json_in(member.out)["recordings"][0]["probabilities"], json_in(p.out)["recordings"][0]["probabilities"])
      << "the file answers with both members, not one";
  CliRun ev = run_murmur("evaluate --model " + d + "/ship/model.pth --data " + d + "/data");
  EXPECT_EQ(ev.code, 1) << ev.out;
  EXPECT_TRUE(contains(ev.out, "trained on every patient")) << ev.out;
  CliRun again = run_murmur("--json " + args);
  ASSERT_EQ(again.code, 0) << again.out;
  CliRun p2 = run_murmur("--json predict --model " + d + "/ship/model.pth " + wav);
  EXPECT_EQ(json_in(p2.out)["recordings"], json_in(p.out)["recordings"]) << "a rerun reuses the trained members";
  CliRun one = run_murmur("train --preset native --data " + d + "/data --split all --members 1 -o " + d + "/ship1");
  EXPECT_EQ(one.code, 1);
  EXPECT_TRUE(contains(one.out, "--members: must be 2-64")) << one.out;
  // Training seeds: each validation group's member trained twice, four models in the file.
  CliRun seeds = run_murmur("--json train --preset native --data " + d + "/data --split all --members 2 --seeds 2 " +
                            "--epochs 1 -o " + d + "/ship_seeds");
  ASSERT_EQ(seeds.code, 0) << seeds.out;
  auto sj = json_in(seeds.out);
  ASSERT_EQ(sj["members"].size(), 4u);
  EXPECT_EQ(sj["members"][2]["validation_group"], 0);
  EXPECT_NE(sj["members"][2]["seed"], sj["members"][0]["seed"]);
  CliRun ps = run_murmur("--json predict --model " + d + "/ship_seeds/model.pth " + wav);
  ASSERT_EQ(ps.code, 0) << ps.out;
  EXPECT_EQ(json_in(ps.out)["n_models"], 4);
  CliRun many = run_murmur("train --preset native --data " + d + "/data --split all --members 32 --seeds 3 -o " + d +
                           "/ship_many");
  EXPECT_EQ(many.code, 1);
  EXPECT_TRUE(contains(many.out, "--seeds: must be >= 1 with --members x --seeds <= 64")) << many.out;
}

// `murmur pretrain` (through the launcher) learns a trunk without labels; `train --init` takes it.
TEST(Cli, PretrainThenFineTune) {
  const std::string d = work_dir();
  CliRun pre = run_murmur("--json pretrain --data " + d + "/data --epochs 2 --batch 16 -o " + d + "/pre");
  ASSERT_EQ(pre.code, 0) << pre.out;
  const auto pj = json_in(pre.out);
  EXPECT_EQ(pj["history"].size(), 2u);
  EXPECT_EQ(pj["preset"], "pooled");
  EXPECT_TRUE(std::filesystem::exists(d + "/pre/pretrain.json"));
  CliRun ft = run_raw("--threads 2 train --preset valves --init " + d + "/pre/model.pth --data " + d +
                      "/data --epochs 1 -o " + d + "/pre_ft");  // not quiet: it lists what --init took
  ASSERT_EQ(ft.code, 0) << ft.out;
  EXPECT_TRUE(contains(ft.out, "took 24 of the model's 26 tensors")) << ft.out;
  CliRun bad = run_murmur("pretrain --preset seed --data " + d + "/data -o " + d + "/pre_seed");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "has no trunk to pretrain")) << bad.out;
}

TEST(Cli, SeedTrainsOnTheReferenceRecipe) {
  const std::string d = work_dir();
  CliRun t = run_murmur("train --preset seed --split recording --data " + d + "/data --epochs 1 -o " + d + "/seed");
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_TRUE(contains(t.out, "leaks patients")) << "the leaky split must warn";
  auto m = nlohmann::json::parse(std::ifstream(d + "/seed/metrics.json"));
  EXPECT_EQ(m["preset"], "seed");
  EXPECT_EQ(m["history"].size(), 1u);
  // `murmur predict` runs seed models itself, on oneDNN: LibTorch's answers, a picture too.
  const std::string png = d + "/seed_picture.png";
  ASSERT_EQ(run_murmur("spectrogram " + d + "/data/train/N_001_sit_Aor.wav -o " + png).code, 0);
  expect_launcher_answers_as_libtorch("-q --threads 2 --json predict --model " + d + "/seed/model.pth " + d +
                                          "/data/train/AS_002_sit_Aor.wav " + d + "/data/train/AS_002_sup_Mit.wav " +
                                          png + " " + d + "/nope.wav",
                                      3);
  // What LibTorch alone runs, here --explain of a seed model, says so when LibTorch is refused.
  CliRun explain = run_raw("-q predict --explain --model " + d + "/seed/model.pth " + d + "/data/train/AS_002_sit_Aor.wav",
                           "MURMUR_LIBTORCH=0");
  EXPECT_EQ(explain.code, 1) << explain.out;
  EXPECT_TRUE(contains(explain.out, "as a seed model: not read (--explain of a seed model runs in LibTorch)")) << explain.out;
}

// `murmur train` killed (SIGKILL) mid-run and started again with --resume ends exactly as an
// uninterrupted run: same epochs, same test metrics.
TEST(Cli, TrainResumesAfterBeingKilled) {
  const std::string d = work_dir();
  const std::string args = "train --preset native --data " + d + "/data --epochs 4 --seed 4 -o ";
  CliRun whole = run_murmur(args + d + "/resume_whole");
  ASSERT_EQ(whole.code, 0) << whole.out;
  const std::string out = d + "/resume_killed";
  const std::string pid_file = d + "/resume.pid";
  std::string start = std::string(MURMUR_BINARY) + " -q --threads 2 " + args + out + " > " + d +
                      "/resume.log 2>&1 & echo $! > " + pid_file;
  ASSERT_EQ(std::system(start.c_str()), 0);
  pid_t pid = 0;
  for (int i = 0; i < 200 && pid == 0; ++i) {
    std::ifstream(pid_file) >> pid;
    if (pid == 0) usleep(10000);
  }
  ASSERT_GT(pid, 0);
  // Kill it once the first epoch checkpoint exists (and well before its last epoch).
  bool saw_state = false;
  for (int i = 0; i < 12000 && !saw_state; ++i) {
    saw_state = std::filesystem::exists(out + "/train_state.pt");
    if (!saw_state) usleep(5000);
  }
  kill(pid, SIGKILL);
  ASSERT_TRUE(saw_state) << "no epoch checkpoint appeared";
  ASSERT_FALSE(std::filesystem::exists(out + "/metrics.json")) << "the run finished before it could be killed";
  CliRun resumed = run_murmur(args + out + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_FALSE(std::filesystem::exists(out + "/train_state.pt")) << "the state is removed once the run ends";
  auto a = nlohmann::json::parse(std::ifstream(d + "/resume_whole/metrics.json"));
  auto b = nlohmann::json::parse(std::ifstream(out + "/metrics.json"));
  EXPECT_TRUE(b["provenance"]["resumed"].get<bool>());
  ASSERT_EQ(a["history"].size(), b["history"].size());
  for (size_t i = 0; i < a["history"].size(); ++i)
    for (auto key : {"train_loss", "val_loss", "val_acc", "lr"})
      EXPECT_EQ(a["history"][i][key], b["history"][i][key]) << "epoch " << i + 1 << " " << key;
  EXPECT_EQ(a["test"]["recording"], b["test"]["recording"]);
  EXPECT_EQ(a["test"]["patient"], b["test"]["patient"]);
}

// The reference's own checkpoint classifies the reference's recordings as golden.json says.
TEST(Cli, PredictWithReferenceCheckpoint) {
  MURMUR_REQUIRE_BMDHS();
  std::string s = murmur::test::shared_dir();
  // `murmur` answers it without LibTorch (MURMUR_LIBTORCH=0), as murmur-torch does.
  CliRun r = run_raw("-q --json predict --model " + s + "/reference/seed_model.pth " + s +
                         "/data/bmd-hs/train/AS_005_sit_Aor.wav",
                     "MURMUR_LIBTORCH=0");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  auto golden = nlohmann::json::parse(std::ifstream(s + "/reference/golden.json"));
  // The recording's answer comes from its picture alone, as the reference evaluated; the
  // reference's own picture (golden) says AS with 0.78.
  EXPECT_EQ(j["recordings"][0]["class"], "AS") << r.out;
  EXPECT_EQ(j["preset"], "seed");
  // The reference's own picture: its eval transform alone reproduces golden.json's probabilities.
  CliRun png = run_raw("-q --json predict --model " + s + "/reference/seed_model.pth " + s +
                           "/reference/seed_spectrograms/AS_005_sit_Aor.png",
                       "MURMUR_LIBTORCH=0");
  ASSERT_EQ(png.code, 0) << png.out;
  auto pj = nlohmann::json::parse(png.out.substr(png.out.find('{')));
  auto golden_probs = golden["images"]["AS_005_sit_Aor.png"]["probs"];
  const char* names[5] = {"AR", "AS", "MR", "MS", "N"};
  for (int k = 0; k < 5; ++k)
    EXPECT_NEAR(pj["recordings"][0]["probabilities"][names[k]].get<double>(), golden_probs[k].get<double>(), 1e-4) << names[k];
  // The seed picture has no time and frequency axes of its own to mask: --explain says so first.
  CliRun why = run_murmur("predict --explain --model " + s + "/reference/seed_model.pth " + s +
                          "/data/bmd-hs/train/AS_005_sit_Aor.wav");
  EXPECT_EQ(why.code, 1) << why.out;
  EXPECT_TRUE(contains(why.out, "--explain:") && contains(why.out, "presets native and valves")) << why.out;
}

// `murmur` itself links no LibTorch, so it starts in milliseconds; the model commands run in
// murmur-torch beside it (execv: same arguments, process, output and exit codes).
TEST(Cli, LauncherLinksNoLibTorchAndHandsModelCommandsOver) {
  const std::string launcher = MURMUR_BINARY;
  const std::string torch_binary = std::filesystem::path(launcher).parent_path() / "murmur-torch";
  auto shell = [](const std::string& cmd) {
    CliRun r{0, ""};
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    std::array<char, 4096> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  CliRun ldd = shell("ldd " + launcher);
  ASSERT_TRUE(contains(ldd.out, "libsndfile")) << ldd.out;
  EXPECT_FALSE(contains(ldd.out, "libtorch")) << ldd.out;
  EXPECT_TRUE(contains(shell("ldd " + torch_binary).out, "libtorch"));
  // One listing: the same commands and descriptions from both binaries.
  auto without_usage = [](std::string text) {
    auto at = text.find("Usage:");
    return at == std::string::npos ? text : text.erase(at, text.find('\n', at) - at);
  };
  CliRun help = run_raw("--help"), full = shell(torch_binary + " --help");
  ASSERT_EQ(help.code, 0) << help.out;
  for (const char* name : {"predict", "train", "cv", "serve", "index", "synth", "segment", "spectrogram", "compare"})
    EXPECT_TRUE(contains(help.out, std::string("  ") + name)) << name << "\n" << help.out;
  EXPECT_EQ(without_usage(help.out), without_usage(full.out));
  CliRun predict_help = run_raw("predict --help");
  EXPECT_EQ(predict_help.code, 0) << predict_help.out;
  EXPECT_TRUE(contains(predict_help.out, "--model")) << predict_help.out;
  CliRun missing = run_raw("-q predict --model /nonexistent/model.pth x.wav");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_TRUE(contains(missing.out, "/nonexistent/model.pth")) << missing.out;
}

TEST(Cli, ErrorsAreClear) {
  CliRun r = run_murmur("cv --preset native --data /nonexistent/folder -o " + work_dir() + "/x");
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.out, "/nonexistent/folder")) << r.out;
  CliRun m = run_murmur("predict --model " + work_dir() + "/data/train.csv " + work_dir() + "/data/train/N_001_sit_Aor.wav");
  EXPECT_NE(m.code, 0);
  EXPECT_TRUE(contains(m.out, "train.csv")) << m.out;
}

// segment: one file with its cycles and a picture; a folder with a bad file in it (reported,
// skipped, exit 3) into a folder of pictures; JSON with per-frame states.
TEST(Cli, SegmentFilesAndFolders) {
  const std::string wav = work_dir() + "/data/train/N_001_sit_Aor.wav", d = murmur::test::temp_dir("cli_segment");
  CliRun one = run_murmur("segment " + wav + " -o " + d + "/n.svg");
  ASSERT_EQ(one.code, 0) << one.out;
  EXPECT_TRUE(contains(one.out, "S1 on")) << one.out;  // the cycle table of a single recording
  const std::string text = murmur::util::read_file(d + "/n.svg");
  EXPECT_TRUE(contains(text, "<svg") && contains(text, "data:image/png;base64,")) << text.substr(0, 200);
  std::filesystem::create_directories(d + "/in");
  std::filesystem::copy_file(wav, d + "/in/N_001_sit_Aor.wav");
  std::ofstream(d + "/in/broken.wav") << "not audio";
  CliRun batch = run_murmur("--json segment " + d + "/in --states -o " + d + "/pics --format png");
  EXPECT_EQ(batch.code, 3) << batch.out;
  EXPECT_TRUE(contains(batch.out, "broken.wav")) << batch.out;
  auto j = json_in(batch.out);
  ASSERT_EQ(j["recordings"].size(), 1u);
  EXPECT_EQ(j["skipped"].size(), 1u);
  const auto& r = j["recordings"][0];
  EXPECT_GT(r["heart_rate_bpm"].get<double>(), 40);
  EXPECT_EQ(r["n_cycles"], r["cycles"].size());
  EXPECT_EQ(r["states"].size(), 20u * 50u);  // 20 s at 50 frames/s
  EXPECT_TRUE(std::filesystem::exists(d + "/pics/N_001_sit_Aor.png"));
  CliRun bad = run_murmur("segment " + wav + " -o " + d + "/n.txt");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "n.txt: a picture is .svg or .png")) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(d + "/n.txt"));
}
