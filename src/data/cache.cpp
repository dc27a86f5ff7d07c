#include "data/cache.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "util/error.h"
#include "util/fs.h"

namespace murmur::data {

namespace {

constexpr char kMagic[8] = {'M', 'U', 'R', 'M', 'T', 'E', 'N', '1'};

int dtype_code(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return 1;
    case torch::kUInt8: return 2;
    case torch::kHalf: return 3;
    default: throw Error("feature cache: unsupported tensor type " + std::string(c10::toString(t)));
  }
}

torch::ScalarType dtype_of(int code, const std::string& path) {
  switch (code) {
    case 1: return torch::kFloat;
    case 2: return torch::kUInt8;
    case 3: return torch::kHalf;
    default: throw Error(path + ": unknown tensor type code " + std::to_string(code));
  }
}

}  // namespace

void write_tensor_raw(const std::string& path, const torch::Tensor& tensor) {
  auto t = tensor.contiguous().cpu();
  std::string out(kMagic, 8);
  int64_t header[2] = {dtype_code(t.scalar_type()), t.dim()};
  out.append(reinterpret_cast<const char*>(header), sizeof header);
  for (int64_t d : t.sizes()) out.append(reinterpret_cast<const char*>(&d), sizeof d);
  out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  util::write_file_atomic(path, out);
}

torch::Tensor read_tensor_raw(const std::string& path) {
  std::string b = util::read_file(path);
  if (b.size() < 24 || std::memcmp(b.data(), kMagic, 8) != 0) throw Error(path + ": not a murmur tensor file");
  int64_t header[2];
  std::memcpy(header, b.data() + 8, sizeof header);
  if (header[1] < 0 || header[1] > 8) throw Error(path + ": corrupt tensor header");
  size_t pos = 24;
  std::vector<int64_t> dims(static_cast<size_t>(header[1]));
  if (b.size() < pos + dims.size() * 8) throw Error(path + ": truncated tensor header");
  std::memcpy(dims.data(), b.data() + pos, dims.size() * 8);
  pos += dims.size() * 8;
  auto t = torch::empty(dims, torch::TensorOptions().dtype(dtype_of(int(header[0]), path)));
  if (b.size() != pos + t.nbytes()) throw Error(path + ": truncated tensor data");
  std::memcpy(t.data_ptr(), b.data() + pos, t.nbytes());
  return t;
}

torch::Tensor FeatureCache::get_or_compute(const std::string& audio_path, const nlohmann::json& config,
                                           const std::function<torch::Tensor()>& compute) const {
  if (dir_.empty()) return compute();
  std::string key = util::fingerprint(util::read_file(audio_path)) + "-" + util::fingerprint(config.dump());
  std::string path = dir_ + "/" + key + ".mt";
  if (std::filesystem::exists(path)) {
    try {
      return read_tensor_raw(path);
    } catch (const Error&) {
      // A damaged entry is recomputed and rewritten below.
    }
  }
  torch::Tensor t = compute();
  try {
    write_tensor_raw(path, t);
  } catch (const Error& e) {
    // A cache that cannot be written (read-only home, full disk) costs speed, never a recording.
    static std::once_flag warned;
    std::call_once(warned, [&] { std::cerr << "murmur: warning: feature cache disabled: " << e.what() << "\n"; });
  }
  return t;
}

}  // namespace murmur::data
