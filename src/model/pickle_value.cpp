// PickleValue (the values an unpickle returns) and the storage dtypes; the unpickler is pickle.cpp.
#include <map>
#include <string>

#include "model/pickle.h"
#include "util/error.h"

namespace murmur::model {

struct PickleValue::Node {
  PickleItems items;  // tuple or list
  PickleDict dict;
  int depth = 1;
  bool placed = false;  // an element of another container: may no longer grow deeper
};

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
  v.node_ = std::make_shared<Node>();
  for (const auto& item : items) v.adopt(item);
  v.node_->items = std::move(items);
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
  v.node_ = std::make_shared<Node>();
  for (const auto& [key, value] : items) {
    v.adopt(key);
    v.adopt(value);
  }
  v.node_->dict = std::move(items);
  return v;
}

PickleValue PickleValue::make_tensor(RawTensor t) {
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
  return node_->items;
}

const PickleDict& PickleValue::dict() const {
  if (kind_ != Kind::kDict) wrong_kind("dict", kind_);
  return node_->dict;
}

int PickleValue::depth() const { return node_ ? node_->depth : 0; }

// Depths are exact because a placed container never grows deeper: so no value is nested more
// than kMaxDepth levels (the recursive destructor stays shallow), and no cycle can form (closing
// one would deepen a placed container, or put a container in itself).
void PickleValue::adopt(const PickleValue& child) {
  if (child.node_ && child.node_ == node_) throw Error(std::string("a ") + kind_name(kind_) + " cannot contain itself");
  const int d = child.depth() + 1;
  if (d > node_->depth) {
    if (node_->placed)
      throw Error(std::string("a ") + kind_name(kind_) + " inside another value grows deeper afterwards "
                  "(recursive structures are not supported)");
    if (d > kMaxDepth) throw Error("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    node_->depth = d;
  }
  if (child.node_) child.node_->placed = true;
}

void PickleValue::append(PickleValue v) {
  if (kind_ != Kind::kList) wrong_kind("list", kind_);
  adopt(v);
  node_->items.push_back(std::move(v));
}

namespace {

// Python dict semantics for the keys pickles use (str, int, bool): a repeated key overwrites.
bool same_key(const PickleValue& a, const PickleValue& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case PickleValue::Kind::kString: return a.str() == b.str();
    case PickleValue::Kind::kInt: return a.as_int() == b.as_int();
    case PickleValue::Kind::kBool: return a.as_bool() == b.as_bool();
    case PickleValue::Kind::kNone: return true;
    default: return false;
  }
}

}  // namespace

void PickleValue::set_item(PickleValue key, PickleValue value) {
  if (kind_ != Kind::kDict) wrong_kind("dict", kind_);
  adopt(key);
  adopt(value);
  for (auto& [k, v] : node_->dict) {
    if (same_key(k, key)) {
      v = std::move(value);
      return;
    }
  }
  node_->dict.emplace_back(std::move(key), std::move(value));
}

const RawTensor& PickleValue::tensor() const {
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

}  // namespace murmur::model
