// The unpickler on hand-made pickles: each supported opcode, the whitelist of globals, and every
// way a pickle can be broken (unknown opcode, truncation, stack misuse). Byte strings are built
// with b({...}) for opcodes and binary arguments, plain strings for text.
#include "model/pickle.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>

#include "util/error.h"

namespace murmur::model {
namespace {

std::string b(std::initializer_list<int> bytes) {
  std::string s;
  for (int c : bytes) s.push_back(char(c));
  return s;
}

const std::string kProto2 = b({0x80, 2});

PickleValue load(const std::string& body) { return unpickle(kProto2 + body + ".", "test.pkl"); }

// The message of the murmur::Error that unpickling `bytes` throws ("" if none).
std::string error_of(const std::string& bytes, const PersistentLoad& pl = nullptr) {
  try {
    unpickle(bytes, "test.pkl", pl);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Pickle, Scalars) {
  EXPECT_TRUE(load("N").is_none());
  EXPECT_TRUE(load(b({0x88})).as_bool());
  EXPECT_FALSE(load(b({0x89})).as_bool());
  EXPECT_EQ(load("J" + b({0xfb, 0xff, 0xff, 0xff})).as_int(), -5);        // BININT is signed
  EXPECT_EQ(load("K" + b({0xff})).as_int(), 255);                          // BININT1 unsigned
  EXPECT_EQ(load("M" + b({0xff, 0xff})).as_int(), 65535);                  // BININT2 unsigned
  EXPECT_EQ(load(b({0x8a, 6, 0, 0, 0, 0, 0, 1})).as_int(), int64_t(1) << 40);  // LONG1 as Python writes it
  EXPECT_EQ(load(b({0x8a, 2, 0x38, 0xff})).as_int(), -200);                // LONG1 sign extension
  EXPECT_EQ(load(b({0x8a, 0})).as_int(), 0);
  EXPECT_EQ(load(b({0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80})).as_int(), INT64_MIN);
  EXPECT_EQ(load(b({0x8a, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})).as_int(), INT64_MAX);
  EXPECT_EQ(load("G" + b({0x3f, 0xf8, 0, 0, 0, 0, 0, 0})).as_double(), 1.5);  // BINFLOAT big-endian
  EXPECT_EQ(load("X" + b({3, 0, 0, 0}) + "abc").str(), "abc");
  EXPECT_EQ(load(b({0x8c, 2}) + "hi").str(), "hi");
  EXPECT_EQ(load("X" + b({0, 0, 0, 0})).str(), "");
}

TEST(Pickle, TuplesListsDicts) {
  EXPECT_TRUE(load(")").items().empty());
  EXPECT_EQ(load("K" + b({1, 0x85})).items().size(), 1u);
  const PickleValue t3 = load("K" + b({1}) + "K" + b({2}) + "K" + b({3, 0x87}));
  ASSERT_EQ(t3.items().size(), 3u);
  EXPECT_EQ(t3.items()[0].as_int(), 1);  // TUPLE3 keeps stack order
  EXPECT_EQ(t3.items()[2].as_int(), 3);
  EXPECT_EQ(load("(K" + b({7}) + "K" + b({8, 0x86}) + "t").items().size(), 1u);  // MARK ... TUPLE

  const PickleValue list = load("]K" + b({1}) + "a(K" + b({2}) + "K" + b({3}) + "e");
  EXPECT_EQ(list.kind(), PickleValue::Kind::kList);
  ASSERT_EQ(list.items().size(), 3u);
  EXPECT_EQ(list.items()[2].as_int(), 3);

  // SETITEM, SETITEMS, and a repeated key overwriting in place as in Python.
  const PickleValue d = load("}X" + b({1, 0, 0, 0}) + "aK" + b({1}) + "s(X" + b({1, 0, 0, 0}) + "bK" + b({2}) +
                             "X" + b({1, 0, 0, 0}) + "aK" + b({3}) + "u");
  ASSERT_EQ(d.dict().size(), 2u);
  EXPECT_EQ(d.dict()[0].first.str(), "a");
  EXPECT_EQ(d.at("a").as_int(), 3);
  EXPECT_EQ(d.at("b").as_int(), 2);
  EXPECT_EQ(d.find("c"), nullptr);
  EXPECT_THROW(d.at("c"), Error);
}

TEST(Pickle, MemoSharesContainersLikePython) {
  // d = {} (memo 0); d['k'] = [] (memo 1); BINGET 1 and APPEND 1 to the list; LONG_BINGET 0;
  // TUPLE3 -> (d, list, d): the append shows through d, as Python's shared objects do.
  const PickleValue v = load("}q" + b({0}) + "X" + b({1, 0, 0, 0}) + "k]r" + b({1, 0, 0, 0}) + "sh" + b({1}) + "K" +
                             b({1}) + "aj" + b({0, 0, 0, 0, 0x87}));
  const PickleItems& t = v.items();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].at("k").items().size(), 1u);
  EXPECT_EQ(t[1].items().size(), 1u);
  EXPECT_EQ(t[2].at("k").items()[0].as_int(), 1);
}

TEST(Pickle, Protocol4AsPythonWritesIt) {
  // pickle.dumps({'a': [1, 2.5, 'x'], 'b': (True, None), 'c': collections.OrderedDict()}, protocol=4):
  // FRAME, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL.
  const std::string bytes(
      "\x80\x04\x95\x49\x00\x00\x00\x00\x00\x00\x00\x7d\x94\x28\x8c\x01\x61\x94\x5d\x94\x28\x4b\x01\x47"
      "\x40\x04\x00\x00\x00\x00\x00\x00\x8c\x01\x78\x94\x65\x8c\x01\x62\x94\x88\x4e\x86\x94\x8c\x01\x63"
      "\x94\x8c\x0b\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x94\x8c\x0b\x4f\x72\x64\x65\x72\x65\x64"
      "\x44\x69\x63\x74\x94\x93\x94\x29\x52\x94\x75\x2e",
      84);
  const PickleValue v = unpickle(bytes, "test.pkl");
  ASSERT_EQ(v.dict().size(), 3u);
  const PickleItems& a = v.at("a").items();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].as_int(), 1);
  EXPECT_EQ(a[1].as_double(), 2.5);
  EXPECT_EQ(a[2].str(), "x");
  EXPECT_TRUE(v.at("b").items()[0].as_bool());
  EXPECT_TRUE(v.at("b").items()[1].is_none());
  EXPECT_TRUE(v.at("c").dict().empty());
}

const std::string kOrderedDictCall = "ccollections\nOrderedDict\n)R";

TEST(Pickle, OrderedDictWithMetadataBuild) {
  // What torch.save writes for a state dict: OrderedDict(), items, then BUILD {'_metadata': ...}.
  const PickleValue v = load(kOrderedDictCall + "X" + b({1, 0, 0, 0}) + "wK" + b({4}) + "s}X" + b({9, 0, 0, 0}) +
                             "_metadata" + kOrderedDictCall + "sb");
  ASSERT_EQ(v.dict().size(), 1u);
  EXPECT_EQ(v.at("w").as_int(), 4);
  // BUILD on anything but a dict is refused.
  EXPECT_NE(error_of(kProto2 + "]}b."), "");
}

// A persistent loader like the checkpoint reader's: ('storage', type, key, location, numel).
PickleValue fake_storage(const PickleValue& pid) {
  const PickleItems& f = pid.items();
  EXPECT_EQ(f[0].str(), "storage");
  EXPECT_EQ(f[3].str(), "mps");
  EXPECT_EQ(storage_dtype(f[1].str()), murmur::model::DType::kFloat);
  std::vector<float> values(size_t(f[4].as_int()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(i);
  std::vector<unsigned char> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return PickleValue::make_tensor(murmur::model::RawTensor::storage(murmur::model::DType::kFloat, f[4].as_int(), bytes));
}

// _rebuild_tensor_v2(storage of numel 6, offset, size, stride, False, OrderedDict())
std::string rebuild(int offset, std::initializer_list<int> size, std::initializer_list<int> stride) {
  std::string s = "ctorch._utils\n_rebuild_tensor_v2\n((X" + b({7, 0, 0, 0}) + "storagectorch\nFloatStorage\nX" +
                  b({1, 0, 0, 0}) + "0X" + b({3, 0, 0, 0}) + "mpsK" + b({6}) + "tQK" + b({offset}) + "(";
  for (int v : size) s += "K" + b({v});
  s += "t(";
  for (int v : stride) s += "K" + b({v});
  return s + "t" + b({0x89}) + kOrderedDictCall + "tR";
}

TEST(Pickle, RebuildTensorFromPersistentStorage) {
  const PickleValue v = unpickle(kProto2 + rebuild(1, {2, 2}, {1, 2}) + ".", "test.pkl", fake_storage);
  const murmur::model::RawTensor& t = v.tensor();
  EXPECT_EQ(t.dtype, murmur::model::DType::kFloat);
  EXPECT_EQ(t.shape(), "[2, 2]");
  EXPECT_EQ(t.floats(), (std::vector<float>{1.f, 3.f, 2.f, 4.f}));
  // Boundary: the last element at storage index 5 is fine, index 6 is past the storage.
  EXPECT_NO_THROW(unpickle(kProto2 + rebuild(3, {2, 2}, {1, 1}) + ".", "test.pkl", fake_storage));
  EXPECT_NE(error_of(kProto2 + rebuild(4, {2, 2}, {1, 1}) + ".", fake_storage).find("past its storage"),
            std::string::npos);
  // A scalar tensor (size () and stride ()) at the last element.
  EXPECT_EQ(unpickle(kProto2 + rebuild(5, {}, {}) + ".", "test.pkl", fake_storage).tensor().at_flat(0), 5.0);
  // A view of a view still indexes the storage: 6 elements at stride 3 reach index 15 of a
  // 6-element storage, though the inner view (20 elements at stride 0) has 20.
  const std::string nested = "ctorch._utils\n_rebuild_tensor_v2\n(" + rebuild(0, {20}, {0}) + "K" + b({0}) + "(K" +
                             b({6}) + "t(K" + b({3}) + "t" + b({0x89}) + kOrderedDictCall + "tR.";
  EXPECT_NE(error_of(kProto2 + nested, fake_storage).find("reaches past its storage of 6 elements"), std::string::npos)
      << error_of(kProto2 + nested, fake_storage);
  // No loader: a clear error, not a crash.
  EXPECT_NE(error_of(kProto2 + rebuild(0, {6}, {1}) + ".").find("no loader"), std::string::npos);
}

TEST(Pickle, TypeTagsOfPickleSave) {
  // torch::pickle_save wraps dicts and lists as restore_type_tag(value, "Dict[str, int]").
  const PickleValue v = load("ctorch.jit._pickle\nrestore_type_tag\n}X" + b({14, 0, 0, 0}) + "Dict[str, int]" +
                             b({0x86}) + "R");
  EXPECT_TRUE(v.dict().empty());
}

TEST(Pickle, RejectsGlobalsOutsideTheWhitelist) {
  const std::string msg = error_of(kProto2 + "cos\nsystem\nX" + b({2, 0, 0, 0}) + "ls" + b({0x85}) + "R.");
  EXPECT_NE(msg.find("test.pkl: pickle byte 2: global 'os.system' is not allowed"), std::string::npos) << msg;
  const std::string stack_global = error_of(b({0x80, 4, 0x8c, 8}) + "builtins" + b({0x8c, 4}) + "eval" + b({0x93}) + ".");
  EXPECT_NE(stack_global.find("'builtins.eval' is not allowed"), std::string::npos) << stack_global;
  // Whitelisted storage types are markers, not callables.
  EXPECT_NE(error_of(kProto2 + "ctorch\nFloatStorage\n)R.").find("cannot be called"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "ctorch\nFloatStorageX\n)R.").find("'torch.FloatStorageX' is not allowed"),
            std::string::npos);
}

TEST(Pickle, RejectsUnknownOpcodes) {
  // 'I' (text INT, protocol 0) is valid Python but outside what PyTorch writes.
  EXPECT_NE(error_of(kProto2 + "I1\n.").find("test.pkl: pickle byte 2: unsupported opcode 0x49"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "0.").find("unsupported opcode 0x30"), std::string::npos);  // POP
  EXPECT_NE(error_of(b({0x80, 6}) + "N.").find("unsupported pickle protocol 6"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + b({0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0}) + ".").find("64 bits"), std::string::npos);
}

TEST(Pickle, EveryTruncationIsAnError) {
  const std::string full = kProto2 + "}q" + b({0}) + "(X" + b({1, 0, 0, 0}) + "aG" + b({0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) +
                           "X" + b({1, 0, 0, 0}) + "b" + kOrderedDictCall + "r" + b({1, 0, 0, 0}) + "u.";
  ASSERT_EQ(unpickle(full, "test.pkl").dict().size(), 2u);
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_THROW(unpickle(full.substr(0, n), "test.pkl"), Error) << "prefix of " << n << " bytes";
  EXPECT_NE(error_of(kProto2 + "X" + b({5, 0, 0, 0}) + "ab").find("truncated: needs 5 more bytes, 2 left"),
            std::string::npos);
}

TEST(Pickle, RejectsStackMisuse) {
  EXPECT_NE(error_of(kProto2 + "NN.").find("STOP with 2 values"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + ".").find("STOP with 0 values"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "(N.").find("STOP"), std::string::npos);             // open MARK
  EXPECT_NE(error_of(kProto2 + "}Na.").find("APPEND on a dict"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "}(Nu.").find("odd number"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "h" + b({3}) + ".").find("memo index 3 was never stored"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "Nt.").find("no MARK"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + b({0x85}) + ".").find("stack underflow"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + "N(" + b({0x85}) + "t.").find("stack underflow"), std::string::npos);  // not across a MARK
  EXPECT_NE(error_of(kProto2 + "NNR.").find("REDUCE on a non-callable"), std::string::npos);
}

TEST(Pickle, AccessorsNameBothKinds) {
  try {
    load("K" + b({1})).str();
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pickle: expected str, got int");
  }
  EXPECT_EQ(storage_dtype("torch.LongStorage"), murmur::model::DType::kLong);
  EXPECT_THROW(storage_dtype("torch.Tensor"), Error);
}

// Issue 16 item 1: a pickle nesting lists 200k deep crashed murmur (stack overflow in the
// recursive destructor). Nesting is bounded while parsing, whichever container nests.
TEST(Pickle, RefusesDeepNestingNamingTheFile) {
  const int n = 200000;
  const std::string lists = kProto2 + "]" + std::string(n, ']') + std::string(n, 'a') + ".";
  EXPECT_NE(error_of(lists).find("test.pkl: pickle byte "), std::string::npos);
  EXPECT_NE(error_of(lists).find("nesting deeper than 100 levels"), std::string::npos) << error_of(lists);
  std::string tuples = kProto2 + "N";
  for (int k = 0; k < n; ++k) tuples += b({0x85});  // TUPLE1 of the previous value
  EXPECT_NE(error_of(tuples + ".").find("nesting deeper than 100 levels"), std::string::npos);
  // d_k = {1: d_(k-1)}: BINPUT the previous value, EMPTY_DICT, MARK, 1, BINGET, SETITEMS.
  std::string chain = kProto2 + "N";
  for (int k = 0; k < n; ++k) chain += "q" + b({0}) + "}(K" + b({1}) + "h" + b({0}) + "u";
  EXPECT_NE(error_of(chain + ".").find("nesting deeper than 100 levels"), std::string::npos) << error_of(chain + ".");
  // 100 levels is plenty for a checkpoint (about 5) and still loads.
  const PickleValue ok = load("]" + std::string(99, ']') + std::string(99, 'a'));
  EXPECT_EQ(ok.depth(), 100);
}

// Shared containers cannot be made to grow deeper after being placed (that is how a cycle or a
// stale depth would form); placed containers may still take flat values, as Python allows.
TEST(Pickle, RefusesCyclesAndLateDeepening) {
  // l = []; l.append(l)
  EXPECT_NE(error_of(kProto2 + "]q" + b({0}) + "h" + b({0}) + "a.").find("a list cannot contain itself"),
            std::string::npos);
  // a = []; b = [a]; a.append(b): a cycle a -> b -> a.
  const std::string cycle = kProto2 + "]q" + b({0}) + "]q" + b({1}) + "h" + b({0}) + "a" + "h" + b({0}) + "h" + b({1}) +
                            "a.";
  EXPECT_NE(error_of(cycle).find("grows deeper afterwards"), std::string::npos) << error_of(cycle);
  // a = []; b = [a]; a.append([]): deepens a placed list.
  EXPECT_NE(error_of(kProto2 + "]q" + b({0}) + "]h" + b({0}) + "ah" + b({0}) + "]a.").find("grows deeper afterwards"),
            std::string::npos);
}

}  // namespace
}  // namespace murmur::model
