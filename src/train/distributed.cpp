#include "train/distributed.h"

#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <cstring>
#include <map>

#include "util/error.h"

namespace murmur::train::dist {
namespace {

struct Group {
  int rank = 0, world = 1;
  c10::intrusive_ptr<::c10d::Store> store;
  c10::intrusive_ptr<::c10d::ProcessGroupGloo> pg;
};
Group& group() {
  static Group g;
  return g;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(const char* name, int lo, int hi) {
  const char* v = env(name);
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || x < lo || x > hi)
    throw Error(std::string("distributed training: ") + name + "='" + v + "' is not a whole number in [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return int(x);
}

// One tensor per dtype: every tensor's values flattened into it, in order.
std::map<at::ScalarType, std::vector<size_t>> by_type(const std::vector<torch::Tensor>& ts) {
  std::map<at::ScalarType, std::vector<size_t>> m;
  for (size_t i = 0; i < ts.size(); ++i)
    if (ts[i].defined() && ts[i].numel() > 0) m[ts[i].scalar_type()].push_back(i);
  return m;
}

template <class Op>
void flat_collective(std::vector<torch::Tensor>& ts, Op op) {
  for (auto& [type, idx] : by_type(ts)) {
    std::vector<torch::Tensor> parts;
    for (size_t i : idx) parts.push_back(ts[i].detach().reshape({-1}));
    std::vector<torch::Tensor> flat{torch::cat(parts).contiguous()};
    op(flat)->wait();
    int64_t at = 0;
    torch::NoGradGuard no_grad;
    for (size_t i : idx) {
      const int64_t n = ts[i].numel();
      ts[i].copy_(flat[0].slice(0, at, at + n).view(ts[i].sizes()));
      at += n;
    }
  }
}

}  // namespace

Environment read_environment() {
  Environment e;
  if (env("WORLD_SIZE") || env("RANK")) {
    if (!env("WORLD_SIZE") || !env("RANK"))
      throw Error("distributed training: RANK and WORLD_SIZE must be set together");
    e.world = env_int("WORLD_SIZE", 1, 4096);
    e.rank = env_int("RANK", 0, e.world - 1);
    e.from = "RANK/WORLD_SIZE";
  } else if (env("SLURM_NTASKS") && env("SLURM_PROCID") && env("SLURM_STEP_ID")) {
    // Only in a job step (srun): a batch script itself also sees its allocation's SLURM_NTASKS,
    // as SLURM_PROCID 0, but is one process; it would wait for ranks that never come.
    e.world = env_int("SLURM_NTASKS", 1, 4096);
    e.rank = env_int("SLURM_PROCID", 0, e.world - 1);
    e.from = "SLURM_PROCID/SLURM_NTASKS";
    if (e.world > 1 && !env("MASTER_ADDR") && env("SLURM_JOB_NUM_NODES") &&
        env_int("SLURM_JOB_NUM_NODES", 1, 1 << 20) > 1)
      throw Error("distributed training: a Slurm job over several nodes needs MASTER_ADDR (the first node's "
                  "address, e.g. $(scontrol show hostnames $SLURM_JOB_NODELIST | head -n 1))");
  }
  if (env("MASTER_ADDR")) e.master_addr = env("MASTER_ADDR");
  if (env("MASTER_PORT")) e.master_port = env_int("MASTER_PORT", 1, 65535);
  if (e.world == 1) e.from.clear();
  return e;
}

void join(const Environment& e, double timeout_s) {
  leave();
  if (e.world <= 1) return;
  const auto timeout = std::chrono::milliseconds(int64_t(timeout_s * 1000));
  Group& g = group();
  try {
    ::c10d::TCPStoreOptions o;
    o.port = uint16_t(e.master_port);
    o.isServer = e.rank == 0;
    o.numWorkers = size_t(e.world);
    o.timeout = timeout;
    g.store = c10::make_intrusive<::c10d::TCPStore>(e.master_addr, o);
    auto options = ::c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(30 * 60 * 1000));
    const bool loopback = e.master_addr == "127.0.0.1" || e.master_addr == "localhost";
    if (const char* iface = env("GLOO_SOCKET_IFNAME"))
      options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForInterface(iface));
    else if (loopback)
      options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(::c10d::ProcessGroupGloo::createDefaultDevice());
    g.pg = c10::make_intrusive<::c10d::ProcessGroupGloo>(g.store, e.rank, e.world, options);
  } catch (const std::exception& ex) {
    g = Group{};
    throw Error("distributed training: rank " + std::to_string(e.rank) + " of " + std::to_string(e.world) +
                " could not join the group at " + e.master_addr + ":" + std::to_string(e.master_port) + " (" +
                ex.what() + ")");
  }
  g.rank = e.rank;
  g.world = e.world;
}

void join_from_environment() { join(read_environment()); }

void leave() { group() = Group{}; }

int rank() { return group().rank; }
int world() { return group().world; }

void allreduce_sum(std::vector<torch::Tensor>& tensors) {
  if (world() <= 1) return;
  flat_collective(tensors, [](std::vector<torch::Tensor>& t) { return group().pg->allreduce(t); });
}

void broadcast(std::vector<torch::Tensor>& tensors) {
  if (world() <= 1) return;
  flat_collective(tensors, [](std::vector<torch::Tensor>& t) { return group().pg->broadcast(t); });
}

bool rank0_says(bool value) {
  std::vector<torch::Tensor> t{torch::tensor({int64_t(value)})};
  broadcast(t);
  return t[0].item<int64_t>() != 0;
}

std::string rank0_bytes(const std::string& bytes) {
  if (world() <= 1) return bytes;
  std::vector<torch::Tensor> n{torch::tensor({int64_t(bytes.size())})};
  broadcast(n);
  auto buf = torch::zeros({n[0].item<int64_t>()}, torch::kUInt8);
  if (rank() == 0 && !bytes.empty()) std::memcpy(buf.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  std::vector<torch::Tensor> b{buf};
  broadcast(b);
  return std::string(reinterpret_cast<const char*>(b[0].data_ptr<uint8_t>()), size_t(b[0].numel()));
}

std::pair<int64_t, int64_t> share(int64_t n) {
  const int64_t w = world(), r = rank(), base = n / w, extra = n % w;
  const int64_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace murmur::train::dist
