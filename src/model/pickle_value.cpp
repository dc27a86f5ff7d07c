// PickleValue (the values an unpickle returns) and the storage dtypes; the unpickler is pickle.cpp.
#include <string>

#include "model/pickle.h"
#include "util/error.h"

namespace murmur::model {

PickleValue PickleValue::make_bool(bool b) {
  PickleValue v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}

PickleValue PickleValue::make_int(int64_t i) {
  PickleValue v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}

PickleValue PickleValue::make_float(double f) {
  PickleValue v;
  v.kind_ = Kind::kFloat;
  v.f_ = f;
  return v;
}

PickleValue PickleValue::make_string(std::string s) {
  PickleValue v;
  v.kind_ = Kind::kString;
  v.s_ = std::move(s);
  return v;
}

PickleValue PickleValue::make_tuple(PickleItems items) {
  PickleValue v;
  v.kind_ = Kind::kTuple;
  v.items_ = std::make_shared<PickleItems>(std::move(items));
  return v;
}

PickleValue PickleValue::make_list(PickleItems items) {
  PickleValue v = make_tuple(std::move(items));
  v.kind_ = Kind::kList;
  return v;
}

PickleValue PickleValue::make_dict(PickleDict items) {
  PickleValue v;
  v.kind_ = Kind::kDict;
  v.dict_ = std::make_shared<PickleDict>(std::move(items));
  return v;
}

PickleValue PickleValue::make_tensor(torch::Tensor t) {
  PickleValue v;
  v.kind_ = Kind::kTensor;
  v.tensor_ = std::move(t);
  return v;
}

PickleValue PickleValue::make_global(std::string dotted) {
  PickleValue v;
  v.kind_ = Kind::kGlobal;
  v.s_ = std::move(dotted);
  return v;
}

const char* PickleValue::kind_name(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kTensor: return "tensor";
    case Kind::kGlobal: return "global";
  }
  return "?";
}

namespace {

[[noreturn]] void wrong_kind(const char* expected, PickleValue::Kind got) {
  throw Error(std::string("pickle: expected ") + expected + ", got " + PickleValue::kind_name(got));
}

}  // namespace

bool PickleValue::as_bool() const {
  if (kind_ != Kind::kBool) wrong_kind("bool", kind_);
  return b_;
}

int64_t PickleValue::as_int() const {
  if (kind_ != Kind::kInt) wrong_kind("int", kind_);
  return i_;
}

double PickleValue::as_double() const {
  if (kind_ == Kind::kInt) return double(i_);
  if (kind_ != Kind::kFloat) wrong_kind("float or int", kind_);
  return f_;
}

const std::string& PickleValue::str() const {
  if (kind_ != Kind::kString && kind_ != Kind::kGlobal) wrong_kind("str", kind_);
  return s_;
}

const PickleItems& PickleValue::items() const {
  if (kind_ != Kind::kTuple && kind_ != Kind::kList) wrong_kind("tuple or list", kind_);
  return *items_;
}

PickleItems& PickleValue::mutable_list() {
  if (kind_ != Kind::kList) wrong_kind("list", kind_);
  return *items_;
}

const PickleDict& PickleValue::dict() const {
  if (kind_ != Kind::kDict) wrong_kind("dict", kind_);
  return *dict_;
}

PickleDict& PickleValue::mutable_dict() {
  if (kind_ != Kind::kDict) wrong_kind("dict", kind_);
  return *dict_;
}

const torch::Tensor& PickleValue::tensor() const {
  if (kind_ != Kind::kTensor) wrong_kind("tensor", kind_);
  return tensor_;
}

const PickleValue* PickleValue::find(const std::string& key) const {
  for (const auto& [k, v] : dict())
    if (k.kind() == Kind::kString && k.str() == key) return &v;
  return nullptr;
}

const PickleValue& PickleValue::at(const std::string& key) const {
  const PickleValue* v = find(key);
  if (!v) throw Error("pickle: dict has no key '" + key + "'");
  return *v;
}

torch::Dtype storage_dtype(const std::string& dotted_name) {
  static const std::map<std::string, torch::Dtype> kStorages = {
      {"torch.FloatStorage", torch::kFloat},   {"torch.DoubleStorage", torch::kDouble},
      {"torch.HalfStorage", torch::kHalf},     {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kLong},     {"torch.IntStorage", torch::kInt},
      {"torch.ShortStorage", torch::kShort},   {"torch.CharStorage", torch::kChar},
      {"torch.ByteStorage", torch::kByte},     {"torch.BoolStorage", torch::kBool}};
  auto it = kStorages.find(dotted_name);
  if (it == kStorages.end()) throw Error("pickle: '" + dotted_name + "' is not a storage type");
  return it->second;
}

}  // namespace murmur::model
