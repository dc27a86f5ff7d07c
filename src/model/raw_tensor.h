// Tensors as checkpoints store them, without LibTorch: a dtype, a shared storage of bytes and a
// strided view of it. The unpickler makes these (pickle.h); LibTorch code turns them into
// torch::Tensor (checkpoint.h), LibTorch-free inference reads their floats (infer/).
//
//   RawTensor s = RawTensor::storage(DType::kFloat, 6, bytes);   // a whole storage, 1-D
//   RawTensor t = s.view(/*offset=*/1, {2, 2}, {1, 2});          // as _rebuild_tensor_v2 makes
//   std::vector<float> w = t.floats();                            // row-major copy: 1 3 2 4 (x4 bytes)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace murmur::model {

// The storage types torch.save writes (torch.FloatStorage ...), in LibTorch's names.
enum class DType { kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte, kBool };
size_t dtype_size(DType d);            // bytes per element
const char* dtype_name(DType d);       // "Float", "Long", ... (as c10::toString)
// Dtype of a whitelisted storage global ("torch.FloatStorage" -> kFloat); murmur::Error otherwise.
DType storage_dtype(const std::string& dotted_name);

struct RawTensor {
  std::shared_ptr<std::vector<unsigned char>> bytes;  // the whole storage (shared by its views)
  DType dtype = DType::kFloat;
  int64_t storage_numel = 0;
  int64_t offset = 0;                                  // in elements
  std::vector<int64_t> sizes, strides;                 // strides in elements

  // A storage of numel elements (bytes.size() must be numel * dtype_size; murmur::Error otherwise).
  static RawTensor storage(DType dtype, int64_t numel, std::vector<unsigned char> bytes);
  // A view of this storage. The caller checks that it lies inside (the unpickler does).
  RawTensor view(int64_t offset, std::vector<int64_t> sizes, std::vector<int64_t> strides) const;
  int64_t numel() const;  // murmur::Error if the sizes' product overflows
  bool is_floating_point() const { return dtype == DType::kFloat || dtype == DType::kDouble ||
                                          dtype == DType::kHalf || dtype == DType::kBFloat16; }
  // Element k of the view in row-major order, as a double (every dtype but half and bfloat16).
  double at_flat(int64_t k) const;
  // The view's elements in row-major order; murmur::Error unless dtype is kFloat.
  std::vector<float> floats() const;
  std::string shape() const;  // "[16, 1, 3, 3]", as c10::str(sizes)
};

}  // namespace murmur::model
