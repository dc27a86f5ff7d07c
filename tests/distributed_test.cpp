// Data-parallel training (train/distributed.h): two ranks on loopback against one process with the
// same global batch. Distributed.* starts this test binary twice as ranks 0 and 1 (the helper
// DistributedRank.Fit, skipped in a plain run) and compares what they trained with an in-process fit.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "train/distributed.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace murmur;

namespace {



// Four recipes: hard labels, soft targets, multi-label with unknown labels (all without
// BatchNorm or Dropout: the step must equal the one-process step), and one with both (ranks must
// still agree with each other exactly).
const std::vector<std::string> kKinds{"hard", "soft", "multi", "batchnorm"};

struct Trained {
  std::vector<float> params;
  train::FitResult fit;
};

Trained fit_kind(const std::string& kind, int epochs = 4, const train::EpochCheckpoint& state = {}) {
  torch::manual_seed(7);
  const int64_t k = 3;
  train::Batchable tr{torch::randn({37, 6}), torch::randint(0, k, {37}, torch::kLong), {}}, va{torch::randn({13, 6}), torch::randint(0, k, {13}, torch::kLong), {}};
  if (kind == "soft") tr.soft = torch::softmax(torch::randn({37, k}), 1);
  if (kind == "multi") {
    for (auto* b : {&tr, &va}) {
      b->soft = torch::randint(0, 2, {b->size(), k}).to(torch::kFloat);
      b->soft.index_put_({torch::rand({b->size(), k}) < 0.2}, -1.0);  // a source without that label
      b->y.fill_(-1);
      b->multi_label = true;
    }
  }
  torch::nn::Sequential net(torch::nn::Linear(6, 16), torch::nn::ReLU(), torch::nn::Linear(16, k));
  if (kind == "batchnorm")
    net = torch::nn::Sequential(torch::nn::Linear(6, 16), torch::nn::BatchNorm1d(16), torch::nn::ReLU(),
                                torch::nn::Dropout(0.3), torch::nn::Linear(16, k));
  train::TrainConfig cfg;
  cfg.epochs = epochs, cfg.batch_size = 8, cfg.lr = 0.02, cfg.stop_at_val_acc = 2, cfg.collapse_after_epoch = 0;
  Trained t;
  // The augmentation draws from the shared stream: every rank must draw alike.
  t.fit = train::fit(*net, [&](const torch::Tensor& x) { return net->forward(x); }, tr, va, int(k), cfg,
                     [](const torch::Tensor& x) { return x + 0.1 * torch::randn_like(x); }, {}, state);
  for (auto& p : net->parameters()) {
    auto c = p.detach().reshape({-1}).contiguous();
    t.params.insert(t.params.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  for (auto& b : net->buffers())
    if (b.is_floating_point()) {
      auto c = b.detach().reshape({-1}).contiguous();
      t.params.insert(t.params.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
  return t;
}

nlohmann::json to_json(const Trained& t) {
  nlohmann::json h = nlohmann::json::array();
  for (auto& e : t.fit.history) h.push_back({e.train_loss, e.train_acc, e.val_loss, e.val_acc});
  return {{"params", t.params}, {"history", h}, {"best_epoch", t.fit.best_epoch}};
}

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

}  // namespace

// The rank's side: trains every kind as rank RANK of WORLD_SIZE and writes what it learnt.
TEST(DistributedRank, Fit) {
  const char* out = std::getenv("MURMUR_TEST_RANK_OUT");
  if (!out) GTEST_SKIP() << "a helper: runs only as a rank that Distributed.TwoRanksMatchOneProcess starts";
  torch::set_num_threads(1);
  train::dist::join(train::dist::read_environment(), /*timeout_s=*/60);
  nlohmann::json j;
  for (auto& kind : kKinds) j[kind] = to_json(fit_kind(kind));
  // Interrupted after 2 epochs, resumed to 4: rank 0's state (only it writes one) reaches rank 1.
  const std::string state = std::string(out) + ".state.pt";
  fit_kind("hard", 2, {state, false});
  j["wrote_state"] = std::filesystem::exists(state);
  j["resumed"] = to_json(fit_kind("hard", 4, {state, true}));
  train::dist::leave();
  std::ofstream(out) << j.dump();
}

TEST(Distributed, TwoRanksMatchOneProcess) {
  const auto dir = std::filesystem::temp_directory_path() / ("murmur-dist-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string(), port = std::to_string(free_port());
  std::string cmd;
  for (int r = 0; r < 2; ++r)
    cmd += "MURMUR_TEST_RANK_OUT=" + (dir / ("rank" + std::to_string(r) + ".json")).string() + " RANK=" +
           std::to_string(r) + " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " '" + exe +
           "' --gtest_filter=DistributedRank.Fit > '" + (dir / ("rank" + std::to_string(r) + ".log")).string() +
           "' 2>&1 " + (r == 0 ? "& " : "; wait");
  ASSERT_EQ(std::system(("bash -c \"" + cmd + "\"").c_str()), 0) << cmd;
  nlohmann::json rank[2];
  for (int r = 0; r < 2; ++r) {
    std::ifstream in(dir / ("rank" + std::to_string(r) + ".json"));
    ASSERT_TRUE(in.good()) << "rank " << r << " wrote nothing; its log is in " << dir;
    in >> rank[r];
  }
  torch::set_num_threads(1);
  for (auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    // The ranks hold the same model, bit for bit (BatchNorm's running statistics included).
    EXPECT_EQ(rank[0][kind]["params"], rank[1][kind]["params"]);
    if (kind == "batchnorm") continue;  // its batch statistics and masks are each rank's own
    const nlohmann::json one = to_json(fit_kind(kind));
    auto a = one["params"].get<std::vector<float>>(), b = rank[0][kind]["params"].get<std::vector<float>>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << "parameter value " << i;
    EXPECT_EQ(one["best_epoch"], rank[0][kind]["best_epoch"]);
    for (size_t e = 0; e < one["history"].size(); ++e)
      for (size_t m = 0; m < 4; ++m)
        EXPECT_NEAR(one["history"][e][m].get<double>(), rank[0][kind]["history"][e][m].get<double>(), 1e-5)
            << "epoch " << e + 1 << ", column " << m << " (train loss, train acc, val loss, val acc)";
  }
  EXPECT_EQ(rank[0]["resumed"], rank[0]["hard"]);  // as if never interrupted
  EXPECT_EQ(rank[1]["resumed"], rank[1]["hard"]);
  EXPECT_EQ(rank[0]["wrote_state"], true);
  EXPECT_EQ(rank[1]["wrote_state"], false) << "only rank 0 saves the training state";
  std::filesystem::remove_all(dir);
}

TEST(Distributed, EnvironmentIsReadAndChecked) {
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "2", 1);
  EXPECT_THROW(train::dist::read_environment(), murmur::Error);
  setenv("RANK", "1", 1);
  auto e = train::dist::read_environment();
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 2);
  EXPECT_EQ(e.from, "RANK/WORLD_SIZE");
  unsetenv("RANK");
  EXPECT_THROW(train::dist::read_environment(), murmur::Error);  // one without the other
  unsetenv("WORLD_SIZE");
  setenv("SLURM_NTASKS", "4", 1);
  setenv("SLURM_PROCID", "3", 1);
  setenv("SLURM_JOB_NUM_NODES", "2", 1);
  EXPECT_EQ(train::dist::read_environment().world, 1);  // a batch script, not an srun step
  setenv("SLURM_STEP_ID", "0", 1);
  EXPECT_THROW(train::dist::read_environment(), murmur::Error);  // several nodes need MASTER_ADDR
  setenv("MASTER_ADDR", "10.0.0.1", 1);
  e = train::dist::read_environment();
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.master_addr, "10.0.0.1");
  for (auto* v : {"SLURM_NTASKS", "SLURM_PROCID", "SLURM_STEP_ID", "SLURM_JOB_NUM_NODES", "MASTER_ADDR"}) unsetenv(v);
  EXPECT_EQ(train::dist::read_environment().world, 1);
  // The shares of 5 items over one process: all of them.
  EXPECT_EQ(train::dist::share(5), (std::pair<int64_t, int64_t>{0, 5}));
}
