// The unpickler: a stack machine over the opcodes torch.save and torch::pickle_save use, with a
// whitelist of globals (PickleValue itself is pickle_value.cpp).
#include "model/pickle.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "util/error.h"

namespace murmur::model {

namespace {

const char* const kOrderedDict = "collections.OrderedDict";
const char* const kRebuildTensor = "torch._utils._rebuild_tensor_v2";
const char* const kRestoreTypeTag = "torch.jit._pickle.restore_type_tag";

bool is_storage_global(const std::string& name) {
  try {
    storage_dtype(name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool is_allowed_global(const std::string& name) {
  return name == kOrderedDict || name == kRebuildTensor || name == kRestoreTypeTag ||
         is_storage_global(name);
}

// Thrown by Unpickler::fail, so run() can tell its own errors from a value accessor's.
struct PickleFailure : Error {
  using Error::Error;
};

class Unpickler {
 public:
  Unpickler(const std::string& bytes, const std::string& source, const PersistentLoad& persistent_load)
      : bytes_(bytes), source_(source), persistent_load_(persistent_load) {}

  PickleValue run() {
    while (pos_ < bytes_.size()) {
      op_pos_ = pos_;
      const uint8_t op = take(1)[0];
      bool stop = false;
      try {
        stop = step(op);
      } catch (const PickleFailure&) {
        throw;
      } catch (const Error& e) {  // a value of the wrong kind, or the persistent loader's error
        fail(e.what());
      }
      if (stop) {
        if (stack_.size() != 1 || !marks_.empty())
          fail("STOP with " + std::to_string(stack_.size()) + " values on the stack (expected 1)");
        return stack_.back();
      }
    }
    op_pos_ = pos_;
    fail("truncated: ended without a STOP opcode");
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw PickleFailure(source_ + ": pickle byte " + std::to_string(op_pos_) + ": " + problem);
  }

  const uint8_t* take(size_t n) {
    if (n > bytes_.size() - pos_)
      fail("truncated: needs " + std::to_string(n) + " more bytes, " +
           std::to_string(bytes_.size() - pos_) + " left");
    const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data()) + pos_;
    pos_ += n;
    return p;
  }

  uint64_t little_endian(size_t n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t(p[k]) << (8 * k);
    return v;
  }

  std::string line() {
    size_t end = bytes_.find('\n', pos_);
    if (end == std::string::npos) fail("truncated: GLOBAL name without a newline");
    std::string s = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  size_t stack_floor() const { return marks_.empty() ? 0 : marks_.back(); }

  PickleValue pop() {
    if (stack_.size() <= stack_floor()) fail("stack underflow");
    PickleValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }

  PickleValue& top() {
    if (stack_.size() <= stack_floor()) fail("stack underflow");
    return stack_.back();
  }

  PickleItems pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    PickleItems items(std::make_move_iterator(stack_.begin() + marks_.back()),
                      std::make_move_iterator(stack_.end()));
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  void push(PickleValue v) { stack_.push_back(std::move(v)); }

  const PickleValue& memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo index " + std::to_string(index) + " was never stored");
    return it->second;
  }

  void push_global(const std::string& module, const std::string& name) {
    const std::string dotted = module + "." + name;
    if (!is_allowed_global(dotted))
      fail("global '" + dotted + "' is not allowed (only tensors, storages, OrderedDict and "
           "plain Python values are loaded; nothing from the file is executed)");
    push(PickleValue::make_global(dotted));
  }

  PickleValue& list_top(const char* op) {
    PickleValue& t = top();
    if (t.kind() != PickleValue::Kind::kList) fail(std::string(op) + " on a " + PickleValue::kind_name(t.kind()));
    return t;
  }

  PickleValue& dict_top(const char* op) {
    PickleValue& t = top();
    if (t.kind() != PickleValue::Kind::kDict) fail(std::string(op) + " on a " + PickleValue::kind_name(t.kind()));
    return t;
  }

  PickleValue rebuild_tensor(const PickleItems& args) {
    if (args.size() != 6 && args.size() != 7)
      fail(std::string(kRebuildTensor) + " takes 6 or 7 arguments, got " + std::to_string(args.size()));
    if (args[0].kind() != PickleValue::Kind::kTensor) fail(std::string(kRebuildTensor) + ": argument 0 is not a storage");
    const RawTensor& storage = args[0].tensor();
    const int64_t offset = args[1].as_int();
    std::vector<int64_t> size, stride;
    for (const auto& v : args[2].items()) size.push_back(v.as_int());
    for (const auto& v : args[3].items()) stride.push_back(v.as_int());
    if (size.size() != stride.size())
      fail(std::string(kRebuildTensor) + ": " + std::to_string(size.size()) + " sizes but " +
           std::to_string(stride.size()) + " strides");
    // The last element the view touches must lie inside the storage.
    int64_t last = offset;
    bool empty = false, overflow = offset < 0;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] < 0 || stride[d] < 0) overflow = true;
      if (size[d] == 0) empty = true;
      int64_t reach = 0;
      if (size[d] > 0) {
        overflow |= __builtin_mul_overflow(size[d] - 1, stride[d], &reach);
        overflow |= __builtin_add_overflow(last, reach, &last);
      }
    }
    // Against the storage itself: a view of an earlier view still indexes the whole storage.
    if (overflow || (!empty && last >= storage.storage_numel))
      fail(std::string(kRebuildTensor) + ": view (offset " + std::to_string(offset) +
           ") reaches past its storage of " + std::to_string(storage.storage_numel) + " elements");
    return PickleValue::make_tensor(storage.view(offset, size, stride));
  }

  PickleValue call(const PickleValue& callable, const PickleValue& args_value) {
    if (callable.kind() != PickleValue::Kind::kGlobal) fail("REDUCE on a non-callable " + std::string(PickleValue::kind_name(callable.kind())));
    if (args_value.kind() != PickleValue::Kind::kTuple) fail("REDUCE arguments are not a tuple");
    const PickleItems& args = args_value.items();
    const std::string& name = callable.str();
    if (name == kOrderedDict) {
      if (!args.empty()) fail(name + "() with arguments is not supported");
      return PickleValue::make_dict();
    }
    if (name == kRebuildTensor) return rebuild_tensor(args);
    if (name == kRestoreTypeTag) {
      if (args.size() != 2) fail(name + " takes 2 arguments, got " + std::to_string(args.size()));
      return args[0];
    }
    fail("'" + name + "' cannot be called");
  }

  // Executes one opcode; true on STOP.
  bool step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const int proto = take(1)[0];
        if (proto < 2 || proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        return false;
      }
      case 0x95: little_endian(8); return false;  // FRAME: the whole pickle is already in memory
      case '.': return true;                       // STOP
      case '(': marks_.push_back(stack_.size()); return false;  // MARK
      case 'N': push(PickleValue()); return false;                // NONE
      case 0x88: push(PickleValue::make_bool(true)); return false;  // NEWTRUE
      case 0x89: push(PickleValue::make_bool(false)); return false; // NEWFALSE
      case 'J': push(PickleValue::make_int(int32_t(uint32_t(little_endian(4))))); return false;  // BININT
      case 'K': push(PickleValue::make_int(int64_t(little_endian(1)))); return false;  // BININT1
      case 'M': push(PickleValue::make_int(int64_t(little_endian(2)))); return false;  // BININT2
      case 0x8a: {  // LONG1: n-byte little-endian two's complement
        const size_t n = take(1)[0];
        if (n > 8) fail("LONG1 of " + std::to_string(n) + " bytes does not fit in 64 bits");
        uint64_t v = little_endian(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(PickleValue::make_int(int64_t(v)));
        return false;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
        double d;
        std::memcpy(&d, &bits, sizeof d);
        push(PickleValue::make_float(d));
        return false;
      }
      case 'X': {  // BINUNICODE
        const size_t n = little_endian(4);
        const uint8_t* p = take(n);
        push(PickleValue::make_string(std::string(reinterpret_cast<const char*>(p), n)));
        return false;
      }
      case 0x8c: {  // SHORT_BINUNICODE
        const size_t n = take(1)[0];
        const uint8_t* p = take(n);
        push(PickleValue::make_string(std::string(reinterpret_cast<const char*>(p), n)));
        return false;
      }
      case ')': push(PickleValue::make_tuple({})); return false;  // EMPTY_TUPLE
      case 't': push(PickleValue::make_tuple(pop_mark())); return false;  // TUPLE
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        PickleItems items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        push(PickleValue::make_tuple(std::move(items)));
        return false;
      }
      case ']': push(PickleValue::make_list()); return false;  // EMPTY_LIST
      case 'a': {  // APPEND
        PickleValue v = pop();
        list_top("APPEND").append(std::move(v));
        return false;
      }
      case 'e': {  // APPENDS
        PickleItems items = pop_mark();
        PickleValue& list = list_top("APPENDS");
        for (auto& v : items) list.append(std::move(v));
        return false;
      }
      case '}': push(PickleValue::make_dict()); return false;  // EMPTY_DICT
      case 's': {  // SETITEM
        PickleValue value = pop();
        PickleValue key = pop();
        dict_top("SETITEM").set_item(std::move(key), std::move(value));
        return false;
      }
      case 'u': {  // SETITEMS
        PickleItems items = pop_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of values");
        PickleValue& d = dict_top("SETITEMS");
        for (size_t k = 0; k < items.size(); k += 2) d.set_item(std::move(items[k]), std::move(items[k + 1]));
        return false;
      }
      case 'q': memo_[little_endian(1)] = top(); return false;  // BINPUT
      case 'r': memo_[little_endian(4)] = top(); return false;  // LONG_BINPUT
      case 0x94: {  // MEMOIZE
        const uint64_t index = memo_.size();
        memo_[index] = top();
        return false;
      }
      case 'h': push(memo_get(little_endian(1))); return false;  // BINGET
      case 'j': push(memo_get(little_endian(4))); return false;  // LONG_BINGET
      case 'c': {  // GLOBAL
        std::string module = line();
        std::string name = line();
        push_global(module, name);
        return false;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue name = pop();
        PickleValue module = pop();
        if (name.kind() != PickleValue::Kind::kString || module.kind() != PickleValue::Kind::kString)
          fail("STACK_GLOBAL needs two strings");
        push_global(module.str(), name.str());
        return false;
      }
      case 'R': {  // REDUCE
        PickleValue args = pop();
        PickleValue callable = pop();
        push(call(callable, args));
        return false;
      }
      case 'b': {  // BUILD
        PickleValue state = pop();
        const PickleValue& target = top();
        if (target.kind() != PickleValue::Kind::kDict || state.kind() != PickleValue::Kind::kDict)
          fail(std::string("BUILD of a ") + PickleValue::kind_name(target.kind()) + " from a " +
               PickleValue::kind_name(state.kind()) + " is not supported (only an OrderedDict's attributes)");
        return false;
      }
      case 'Q': {  // BINPERSID
        PickleValue pid = pop();
        if (!persistent_load_) fail("persistent id found but no loader was given");
        push(persistent_load_(pid));
        return false;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported opcode ") + hex);
      }
    }
  }

  const std::string& bytes_;
  const std::string& source_;
  const PersistentLoad& persistent_load_;
  std::vector<PickleValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue> memo_;
  size_t pos_ = 0, op_pos_ = 0;
};

}  // namespace

PickleValue unpickle(const std::string& bytes, const std::string& source, const PersistentLoad& persistent_load) {
  return Unpickler(bytes, source, persistent_load).run();
}

}  // namespace murmur::model
