// train and cv as several ranks (train/distributed.h): joins the group the launcher's variables
// describe (RANK/WORLD_SIZE or srun's SLURM_PROCID/SLURM_NTASKS; none: one process, nothing changes).
// Rank 0 owns the output folder and the terminal; the other ranks train alongside it in a private
// scratch folder, removed when they finish, and print nothing. Without --threads, each rank takes
// its share of the node's cores: SLURM_CPUS_PER_TASK, or the cores over LOCAL_WORLD_SIZE (torchrun's
// ranks per node; without it, every rank is taken to be on this node).
//
//   RankScope ranks(o.run_dir, o.data);   // may redirect run_dir, set quiet and threads
//   auto report = experiment::cv_run(o);
//   if (!ranks.prints()) return;
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "cli/command.h"
#include "experiment/dataset.h"
#include "train/distributed.h"
#include "util/error.h"

namespace murmur::cli {

class RankScope {
 public:
  RankScope(std::string& out_dir, experiment::DataOptions& data) {
    train::dist::join_from_environment();
    if (train::dist::world() > 1 && !global().threads_given) {
      const char* per_task = std::getenv("SLURM_CPUS_PER_TASK");
      const char* local = std::getenv("LOCAL_WORLD_SIZE");
      const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
      data.threads = per_task && std::atoi(per_task) > 0 ? std::atoi(per_task)
                                                         : std::max(1, cores / std::max(1, local ? std::atoi(local) : train::dist::world()));
      global().threads = data.threads;
      torch::set_num_threads(data.threads);
    }
    if (train::dist::is_rank0()) return;
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("murmur-rank" + std::to_string(train::dist::rank()) + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw Error("distributed training: cannot make a scratch folder in " + pattern);
    scratch_ = out_dir = pattern;
    data.quiet = true;
  }
  ~RankScope() {
    std::error_code ec;
    if (!scratch_.empty()) std::filesystem::remove_all(scratch_, ec);
    train::dist::leave();
  }
  RankScope(const RankScope&) = delete;
  RankScope& operator=(const RankScope&) = delete;
  bool prints() const { return scratch_.empty(); }

 private:
  std::string scratch_;
};

}  // namespace murmur::cli
