#include "train/data_parallel.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <mutex>

#include "train/distributed.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::train {
namespace {

// While alive, LibTorch's generator draws from a stream of this rank's own, seeded from the
// shared stream's state (not advancing it); the shared state comes back on destruction.
class RankStream {
 public:
  RankStream() : gen_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    shared_ = gen_.get_state();
    uint64_t h = 1469598103934665603ULL;  // FNV-1a of the shared state, then this rank
    const auto* p = shared_.data_ptr<uint8_t>();
    for (int64_t i = 0; i < shared_.numel(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
    h = (h ^ uint64_t(dist::rank() + 1)) * 1099511628211ULL;
    gen_.set_current_seed(h);
  }
  ~RankStream() {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    gen_.set_state(shared_);
  }
  RankStream(const RankStream&) = delete;
  RankStream& operator=(const RankStream&) = delete;

 private:
  at::Generator gen_;
  torch::Tensor shared_;
};

// The normaliser of the one-process loss over the whole global batch (see trainer.cpp's losses).
double global_normaliser(const Batchable& train, const torch::Tensor& idx, const torch::Tensor& weights) {
  if (train.multi_label) return train.soft.index({idx}).ge(0).sum().item<double>();
  if (train.soft.defined()) return (train.soft.index({idx}) * weights.view({1, -1})).sum().item<double>();
  return weights.index({train.y.index({idx})}).sum().item<double>();
}

// The sum over the share of what the one-process loss averages.
torch::Tensor share_loss_sum(const torch::Tensor& z, const Batchable& train, const torch::Tensor& idx,
                             const torch::Tensor& weights) {
  if (train.multi_label) {
    torch::Tensor n_known;
    return multilabel_loss(z, train.soft.index({idx}), weights, &n_known);
  }
  if (train.soft.defined())
    return -(train.soft.index({idx}) * weights.view({1, -1}) * torch::log_softmax(z, 1)).sum();
  namespace F = torch::nn::functional;
  return F::cross_entropy(z, train.y.index({idx}), F::CrossEntropyFuncOptions().weight(weights).reduction(torch::kSum));
}

}  // namespace

StepResult data_parallel_step(torch::nn::Module& model, const Forward& forward, const torch::Tensor& x,
                              const Batchable& train, const torch::Tensor& idx, const torch::Tensor& weights) {
  const double normaliser = std::max(global_normaliser(train, idx, weights), 1e-12);
  const auto [begin, end] = dist::share(idx.size(0));
  auto params = model.parameters();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  double loss_part = 0, correct = 0;
  if (end > begin) {
    RankStream own;
    auto mine = idx.slice(0, begin, end);
    auto z = forward(x.slice(0, begin, end));
    auto loss = share_loss_sum(z, train, mine, weights) / normaliser;
    loss.backward();
    loss_part = loss.item<double>();
    if (train.multi_label) {
      auto t = train.soft.index({mine});
      correct = (z.gt(0).eq(t.gt(0.5)) & t.ge(0)).sum().item<double>();
    } else {
      correct = z.argmax(1).eq(train.y.index({mine})).sum().item<double>();
    }
  }
  // Round 1: the loss, the count, and which parameters got a gradient anywhere; round 2: the sums.
  auto totals = torch::zeros({int64_t(params.size()) + 2}, torch::kDouble);
  totals[0] = loss_part, totals[1] = correct;
  for (size_t i = 0; i < params.size(); ++i) totals[int64_t(i) + 2] = params[i].grad().defined() ? 1.0 : 0.0;
  std::vector<torch::Tensor> round1{totals};
  dist::allreduce_sum(round1);
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (totals[int64_t(i) + 2].item<double>() == 0) continue;
    if (!params[i].grad().defined()) params[i].mutable_grad() = torch::zeros_like(params[i]);
    grads.push_back(params[i].grad());
  }
  dist::allreduce_sum(grads);
  return {totals[0].item<double>(), int64_t(std::llround(totals[1].item<double>()))};
}

void average_buffers(torch::nn::Module& model) {
  if (dist::world() <= 1) return;
  std::vector<torch::Tensor> floating, other;
  for (auto& b : model.buffers()) (b.is_floating_point() ? floating : other).push_back(b);
  dist::allreduce_sum(floating);
  torch::NoGradGuard no_grad;
  for (auto& b : floating) b.div_(double(dist::world()));
  dist::broadcast(other);
}

Evaluation evaluate_shared(torch::nn::Module& model, const Forward& forward, const Batchable& data,
                           const torch::Tensor& weights, int batch_size, int n_classes) {
  if (dist::world() <= 1) return evaluate(model, forward, data, weights, batch_size);
  const auto [begin, end] = dist::share(data.size());
  Batchable mine{data.x.slice(0, begin, end), data.y.slice(0, begin, end),
                 data.soft.defined() ? data.soft.slice(0, begin, end) : torch::Tensor(), data.multi_label};
  auto logits = torch::zeros({data.size(), int64_t(n_classes)});
  auto sums = torch::zeros({2}, torch::kDouble);  // the loss's numerator and normaliser over the share
  if (end > begin) {
    Evaluation part = evaluate(model, forward, mine, weights, batch_size);
    logits.slice(0, begin, end).copy_(part.logits);
    const double w = mine.multi_label ? mine.soft.ge(0).sum().item<double>()
                                      : weights.index({mine.y}).sum().item<double>();
    sums[0] = part.loss * w, sums[1] = w;
  }
  std::vector<torch::Tensor> all{logits, sums};
  dist::allreduce_sum(all);
  Evaluation ev;
  ev.logits = logits;
  ev.loss = sums[1].item<double>() > 0 ? sums[0].item<double>() / sums[1].item<double>() : 0;
  ev.acc = data.multi_label ? macro_balanced_accuracy(logits, data.soft)
                            : logits.argmax(1).eq(data.y).to(torch::kFloat).mean().item<double>();
  return ev;
}

void require_same_on_every_rank(const std::vector<int64_t>& values, const std::string& what) {
  if (dist::world() <= 1) return;
  std::vector<torch::Tensor> theirs{torch::tensor(values, torch::kLong)};
  dist::broadcast(theirs);
  auto differs = torch::tensor({int64_t(!theirs[0].equal(torch::tensor(values, torch::kLong)))});
  std::vector<torch::Tensor> any{differs};
  dist::allreduce_sum(any);
  if (any[0].item<int64_t>() > 0)
    throw Error("distributed training: the ranks disagree on " + what + " (" + std::to_string(any[0].item<int64_t>()) +
                " of " + std::to_string(dist::world()) + " differ from rank 0): start every rank with the same "
                "command, data and murmur build");
}

bool resume_as_rank0(const std::string& path, bool resume) {
  if (dist::world() <= 1) return resume;
  if (!dist::rank0_says(resume)) return false;
  const std::string bytes = dist::rank0_bytes(dist::is_rank0() ? util::read_file(path) : std::string());
  if (!dist::is_rank0()) util::write_file_atomic(path, bytes);
  return true;
}

}  // namespace murmur::train
