// Data-parallel training across processes over PyTorch's c10d (ProcessGroupGloo on TCP): every rank
// holds the whole model, takes its share of each global batch, and the gradients are summed, so the
// step is the one-process step of the same global batch (up to BatchNorm's batch statistics and
// Dropout's masks, which each rank draws on its own share, as PyTorch's DistributedDataParallel).
//
//   // started as N processes: RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT (torchrun's), or by Slurm's
//   // srun (SLURM_PROCID/SLURM_NTASKS; MASTER_ADDR needed when the job spans several nodes)
//   murmur::train::dist::join_from_environment();          // a no-op in a one-process run
//   if (dist::world() > 1) ...;                            // train::fit shards its batches itself
//   bool skip = dist::rank0_says(fs::exists(done_path));   // decisions everyone must share
//
// One process group per process; train::fit, cv and train use it; with world 1 nothing changes.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace murmur::train::dist {

struct Environment {
  int rank = 0, world = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string from;  // "RANK/WORLD_SIZE", "SLURM_PROCID/SLURM_NTASKS" or "" (one process)
};
// Reads the launcher's variables (RANK wins over SLURM_PROCID, which counts only in an srun step:
// SLURM_STEP_ID set); murmur::Error when they are inconsistent (rank outside [0, world), a
// multi-node Slurm job without MASTER_ADDR).
Environment read_environment();

// Joins the group the environment describes (waits for every rank, up to timeout_s); world 1: nothing.
void join(const Environment& env, double timeout_s = 300);
void join_from_environment();
void leave();  // back to one process (tests)

int rank();
int world();
inline bool is_rank0() { return rank() == 0; }

// In place, on every rank; tensors may have any floating or integer type. world 1: no-op.
void allreduce_sum(std::vector<torch::Tensor>& tensors);
void broadcast(std::vector<torch::Tensor>& tensors);  // rank 0's values to every rank
bool rank0_says(bool value);                          // rank 0's value, on every rank
std::string rank0_bytes(const std::string& bytes);    // rank 0's bytes (any length), on every rank

// The contiguous share [begin, end) of n items that this rank takes (the first n % world ranks get one more).
std::pair<int64_t, int64_t> share(int64_t n);

}  // namespace murmur::train::dist
