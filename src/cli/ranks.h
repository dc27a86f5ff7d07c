// train and cv as several ranks (train/distributed.h): joins the group the launcher's variables
// describe (RANK/WORLD_SIZE or srun's SLURM_PROCID/SLURM_NTASKS; none: one process, nothing changes).
// Rank 0 owns the output folder and the terminal; the other ranks train alongside it in a private
// scratch folder, removed when they finish, and print nothing.
//
//   RankScope ranks(o.run_dir, o.data.quiet);   // may redirect run_dir, set quiet
//   auto report = experiment::cv_run(o);
//   if (!ranks.prints()) return;
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "train/distributed.h"
#include "util/error.h"

namespace murmur::cli {

class RankScope {
 public:
  RankScope(std::string& out_dir, bool& quiet) {
    train::dist::join_from_environment();
    if (train::dist::is_rank0()) return;
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("murmur-rank" + std::to_string(train::dist::rank()) + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw Error("distributed training: cannot make a scratch folder in " + pattern);
    scratch_ = out_dir = pattern;
    quiet = true;
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
