#include "model/raw_tensor.h"

#include <cstring>
#include <map>

#include "util/error.h"

namespace murmur::model {

size_t dtype_size(DType d) {
  switch (d) {
    case DType::kDouble: case DType::kLong: return 8;
    case DType::kFloat: case DType::kInt: return 4;
    case DType::kHalf: case DType::kBFloat16: case DType::kShort: return 2;
    case DType::kChar: case DType::kByte: case DType::kBool: return 1;
  }
  return 1;
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kFloat: return "Float";
    case DType::kDouble: return "Double";
    case DType::kHalf: return "Half";
    case DType::kBFloat16: return "BFloat16";
    case DType::kLong: return "Long";
    case DType::kInt: return "Int";
    case DType::kShort: return "Short";
    case DType::kChar: return "Char";
    case DType::kByte: return "Byte";
    case DType::kBool: return "Bool";
  }
  return "?";
}

DType storage_dtype(const std::string& dotted_name) {
  static const std::map<std::string, DType> kStorages = {
      {"torch.FloatStorage", DType::kFloat}, {"torch.DoubleStorage", DType::kDouble},
      {"torch.HalfStorage", DType::kHalf},   {"torch.BFloat16Storage", DType::kBFloat16},
      {"torch.LongStorage", DType::kLong},   {"torch.IntStorage", DType::kInt},
      {"torch.ShortStorage", DType::kShort}, {"torch.CharStorage", DType::kChar},
      {"torch.ByteStorage", DType::kByte},   {"torch.BoolStorage", DType::kBool}};
  auto it = kStorages.find(dotted_name);
  if (it == kStorages.end()) throw Error("pickle: '" + dotted_name + "' is not a storage type");
  return it->second;
}

RawTensor RawTensor::storage(DType dtype, int64_t numel, std::vector<unsigned char> bytes) {
  if (numel < 0 || bytes.size() != uint64_t(numel) * dtype_size(dtype))
    throw Error("storage: " + std::to_string(bytes.size()) + " bytes for " + std::to_string(numel) + " " +
                dtype_name(dtype) + " values");
  RawTensor t;
  t.bytes = std::make_shared<std::vector<unsigned char>>(std::move(bytes));
  t.dtype = dtype;
  t.storage_numel = numel;
  t.sizes = {numel};
  t.strides = {1};
  return t;
}

RawTensor RawTensor::view(int64_t off, std::vector<int64_t> sz, std::vector<int64_t> st) const {
  RawTensor t = *this;
  t.offset = off;
  t.sizes = std::move(sz);
  t.strides = std::move(st);
  return t;
}

int64_t RawTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes)
    if (s < 0 || __builtin_mul_overflow(n, s, &n))
      throw Error("tensor of shape " + shape() + ": more than 2^63 elements");
  return n;
}

namespace {

// Storage index of the view's k-th element in row-major order.
int64_t storage_index(const RawTensor& t, int64_t k) {
  int64_t index = t.offset;
  for (size_t d = t.sizes.size(); d-- > 0;) {
    index += (k % t.sizes[d]) * t.strides[d];
    k /= t.sizes[d];
  }
  return index;
}

template <typename T>
T element(const RawTensor& t, int64_t index) {
  T v;
  std::memcpy(&v, t.bytes->data() + size_t(index) * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

double RawTensor::at_flat(int64_t k) const {
  const int64_t i = storage_index(*this, k);
  switch (dtype) {
    case DType::kFloat: return element<float>(*this, i);
    case DType::kDouble: return element<double>(*this, i);
    case DType::kLong: return double(element<int64_t>(*this, i));
    case DType::kInt: return element<int32_t>(*this, i);
    case DType::kShort: return element<int16_t>(*this, i);
    case DType::kChar: return element<int8_t>(*this, i);
    case DType::kByte: return element<uint8_t>(*this, i);
    case DType::kBool: return element<uint8_t>(*this, i) != 0;
    case DType::kHalf: case DType::kBFloat16: break;
  }
  throw Error(std::string("a ") + dtype_name(dtype) + " tensor read as numbers (not supported without LibTorch)");
}

std::vector<float> RawTensor::floats() const {
  if (dtype != DType::kFloat) throw Error(std::string("expected a Float tensor, got ") + dtype_name(dtype));
  std::vector<float> out(static_cast<size_t>(numel()));
  for (int64_t k = 0; k < int64_t(out.size()); ++k) out[size_t(k)] = element<float>(*this, storage_index(*this, k));
  return out;
}

std::string RawTensor::shape() const {
  std::string s = "[";
  for (size_t d = 0; d < sizes.size(); ++d) s += (d ? ", " : "") + std::to_string(sizes[d]);
  return s + "]";
}

}  // namespace murmur::model
