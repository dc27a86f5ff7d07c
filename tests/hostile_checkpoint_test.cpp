// Hostile and corrupt checkpoints (issue 16 items 1, 2 and 7): each is refused with an error
// naming the file, before anything is allocated from a size the file claims. The zips are
// written byte by byte here (zip_bytes), so a test can make any member lie.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::model {
namespace {

struct Member {
  std::string name, data;
  uint16_t method = 0;                                        // 0 stored, 8 deflated
  uint64_t claimed_size = std::numeric_limits<uint64_t>::max();  // uncompressed; max: data.size()
};

void u16(std::string& s, uint32_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char((v >> 8) & 0xff));
}
void u32(std::string& s, uint32_t v) {
  u16(s, v & 0xffff);
  u16(s, v >> 16);
}

// A zip of the members, each with a local header and a central-directory entry.
std::string zip_bytes(const std::vector<Member>& members) {
  std::string out, cd;
  for (const Member& m : members) {
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), uInt(m.data.size())));
    const uint32_t size = uint32_t(m.claimed_size == std::numeric_limits<uint64_t>::max() ? m.data.size() : m.claimed_size);
    const uint32_t offset = uint32_t(out.size());
    u32(out, 0x04034b50), u16(out, 20), u16(out, 0), u16(out, m.method), u16(out, 0), u16(out, 0);
    u32(out, crc), u32(out, uint32_t(m.data.size())), u32(out, size), u16(out, uint32_t(m.name.size())), u16(out, 0);
    out += m.name + m.data;
    u32(cd, 0x02014b50), u16(cd, 20), u16(cd, 20), u16(cd, 0), u16(cd, m.method), u16(cd, 0), u16(cd, 0);
    u32(cd, crc), u32(cd, uint32_t(m.data.size())), u32(cd, size), u16(cd, uint32_t(m.name.size()));
    u16(cd, 0), u16(cd, 0), u16(cd, 0), u16(cd, 0), u32(cd, 0), u32(cd, offset);
    cd += m.name;
  }
  const uint32_t cd_offset = uint32_t(out.size());
  out += cd;
  u32(out, 0x06054b50), u16(out, 0), u16(out, 0), u16(out, uint32_t(members.size())), u16(out, uint32_t(members.size()));
  u32(out, uint32_t(cd.size())), u32(out, cd_offset), u16(out, 0);
  return out;
}

std::string write_zip(const std::string& path, const std::vector<Member>& members) {
  util::write_file_atomic(path, zip_bytes(members));
  return path;
}

// The murmur::Error message of f() ("" if none; other exceptions fail the test).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string b(std::initializer_list<int> bytes) {
  std::string s;
  for (int c : bytes) s.push_back(char(c));
  return s;
}

std::string le64(int64_t v) {
  std::string s = b({0x8a, 8});
  for (int k = 0; k < 8; ++k) s.push_back(char((uint64_t(v) >> (8 * k)) & 0xff));
  return s;
}

// The pickle torch.save writes for a 1-D float tensor of `size` elements over storage "0" that
// claims `numel` elements.
std::string tensor_pickle(int64_t numel, int64_t size) {
  return b({0x80, 2}) + "ctorch._utils\n_rebuild_tensor_v2\n((X" + b({7, 0, 0, 0}) + "storagectorch\nFloatStorage\nX" +
         b({1, 0, 0, 0}) + "0X" + b({3, 0, 0, 0}) + "cpu" + le64(numel) + "tQK" + b({0}) + le64(size) + b({0x85}) + "K" +
         b({1, 0x85, 0x89}) + "ccollections\nOrderedDict\n)Rtr" + b({0, 0, 0, 0}) + "R.";
}

TEST(HostileCheckpoint, NestedPickleIsRefusedNotACrash) {  // item 1: was SIGSEGV
  const std::string dir = test::temp_dir("hostile_deep");
  const int n = 200000;
  const std::string deep = b({0x80, 2}) + "]" + std::string(n, ']') + std::string(n, 'a') + ".";
  const std::string path = write_zip(dir + "/deep.pth", {{"a/data.pkl", deep}, {"a/version", "3\n"}});
  const std::string msg = error_of([&] { read_checkpoint(path); });
  EXPECT_EQ(msg.rfind(path + ": pickle byte ", 0), 0u) << msg;
  EXPECT_NE(msg.find("nesting deeper than 100 levels"), std::string::npos) << msg;
}

TEST(HostileCheckpoint, StorageSizesCheckedBeforeAllocating) {  // item 2
  const std::string dir = test::temp_dir("hostile_numel");
  const std::string data(16, '\0');  // four floats
  auto with_numel = [&](int64_t numel, int64_t size) {
    return write_zip(dir + "/n" + std::to_string(numel) + ".pt",
                     {{"a/data.pkl", tensor_pickle(numel, size)}, {"a/data/0", data}, {"a/version", "3\n"}});
  };
  EXPECT_TRUE(torch::equal(read_tensor_file(with_numel(4, 4)), torch::zeros({4})));  // the writer above is right
  std::string msg = error_of([&] { read_tensor_file(with_numel(-1, 4)); });
  EXPECT_NE(msg.find("data/0: 16 bytes for -1 Float values (a negative count)"), std::string::npos) << msg;
  msg = error_of([&] { read_tensor_file(with_numel(int64_t(1) << 40, 4)); });
  EXPECT_NE(msg.find("data/0: 16 bytes for 1099511627776 Float values (4398046511104 expected)"), std::string::npos) << msg;
  msg = error_of([&] { read_tensor_file(with_numel(int64_t(1) << 62, 4)); });  // bytes overflow 64 bits
  EXPECT_NE(msg.find("data/0: 16 bytes for 4611686018427387904 Float values (more than 2^64 bytes)"), std::string::npos)
      << msg;
  msg = error_of([&] { read_tensor_file(with_numel(4, int64_t(1) << 40)); });  // a view past its storage
  EXPECT_NE(msg.find("reaches past its storage of 4 elements"), std::string::npos) << msg;
}

TEST(HostileCheckpoint, ZipBombRefusedFromTheDirectory) {  // item 2: 1 MB reached 2.25 GB
  const std::string dir = test::temp_dir("hostile_bomb");
  const std::string path = write_zip(dir + "/bomb.pth", {{"a/data.pkl", tensor_pickle(4, 4)},
                                                         {"a/data/0", std::string(1000, 'x'), 8, uint64_t(1) << 31},
                                                         {"a/version", "3\n"}});
  const std::string msg = error_of([&] { read_tensor_file(path); });
  EXPECT_EQ(msg.rfind(path + ": zip members decompress to 21474", 0), 0u) << msg;
  EXPECT_NE(msg.find("bytes, more than the limit of 67108864 (4 x the file's size, at least 64 MiB)"), std::string::npos);
  EXPECT_NE(msg.find("zip bomb"), std::string::npos);
  // Two members of the same name: which one LibTorch reads is undefined, so neither is.
  const std::string twice = write_zip(dir + "/twice.pth", {{"a/data.pkl", tensor_pickle(4, 4)}, {"a/data/0", std::string(16, 0)},
                                                           {"a/data/0", std::string(16, 1)}, {"a/version", "3\n"}});
  EXPECT_NE(error_of([&] { read_tensor_file(twice); }).find("member a/data/0 appears twice"), std::string::npos);
}

SeedCnn small_checkpoint(const std::string& path, const std::function<void(StateDict&)>& edit = nullptr) {
  SeedCnn model;
  Checkpoint ck;
  ck.state_dict = state_dict(*model);
  if (edit) edit(ck.state_dict);
  ck.val_acc = 50;
  ck.label_to_idx = {{"AR", 0}, {"AS", 1}, {"MR", 2}, {"MS", 3}, {"N", 4}};
  write_checkpoint(path, ck);
  return model;
}

TEST(HostileCheckpoint, FlippedBytesFailTheCrc) {  // item 7: was "AS 1.000"
  const std::string path = test::temp_dir("hostile_crc") + "/flipped.pth";
  small_checkpoint(path);
  EXPECT_NO_THROW(read_checkpoint(path));
  const size_t offset = caffe2::serialize::PyTorchStreamReader(path).getRecordOffset("data/0");
  std::string bytes = util::read_file(path);
  for (size_t k = 0; k < 64; ++k) bytes[offset + k] = char(~bytes[offset + k]);
  util::write_file_atomic(path, bytes);
  const std::string msg = error_of([&] { read_checkpoint(path); });
  EXPECT_EQ(msg.rfind(path + ": pickle byte ", 0), 0u) << msg;
  EXPECT_NE(msg.find(": archive/data/0: CRC-32 "), std::string::npos) << msg;
  EXPECT_NE(msg.find("the file is corrupt"), std::string::npos) << msg;
}

// murmur refuses to write non-finite weights (write_checkpoint), so this file is written as another
// program (PyTorch, a diverged run elsewhere) would: torch's pickler, the checkpoint's three keys.
TEST(HostileCheckpoint, NonFiniteWeightsNamed) {  // item 7: was "AR nan nan nan nan nan", rc 0
  const std::string path = test::temp_dir("hostile_nan") + "/nan.pth";
  SeedCnn model;
  StateDict sd = state_dict(*model);
  {
    torch::NoGradGuard no_grad;
    sd["classifier.7.weight"].view(-1)[3] = std::numeric_limits<float>::quiet_NaN();
    sd["classifier.7.weight"].view(-1)[9] = std::numeric_limits<float>::infinity();
  }
  EXPECT_NE(error_of([&] { small_checkpoint(path, [&](StateDict& s) { s = sd; }); }).find("NaN/infinity"), std::string::npos);
  c10::impl::GenericDict tensors(c10::StringType::get(), c10::TensorType::get());
  for (const auto& item : sd) tensors.insert(item.key(), item.value().detach().clone());
  c10::Dict<std::string, int64_t> label_to_idx;
  for (const char* c : {"AR", "AS", "MR", "MS", "N"}) label_to_idx.insert(c, int64_t(label_to_idx.size()));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model_state_dict", tensors);
  root.insert("val_acc", 50.0);
  root.insert("label_to_idx", label_to_idx);
  const std::vector<char> bytes = torch::pickle_save(root);
  util::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
  const std::string msg = error_of([&] { read_checkpoint(path); });
  EXPECT_EQ(msg, path + ": model_state_dict['classifier.7.weight'] has 2 non-finite values (NaN or Inf; the first "
                        "at flat index 3): a corrupt or diverged checkpoint");
}

TEST(HostileCheckpoint, WrongDtypeRefusedNotConverted) {  // item 7: int64 weights were truncated
  const std::string path = test::temp_dir("hostile_dtype") + "/long.pth";
  SeedCnn model = small_checkpoint(path, [](StateDict& sd) {
    StateDict out;
    for (const auto& item : sd)
      out.insert(item.key(), item.key() == "classifier.7.weight" ? (item.value() * 1000).to(torch::kLong) : item.value());
    sd = out;
  });
  const Checkpoint ck = read_checkpoint(path);
  EXPECT_EQ(error_of([&] { load_into(model, ck.state_dict, path); }),
            path + ": classifier.7.weight: dtype Long in the state dict, Float in the model");
}

}  // namespace
}  // namespace murmur::model
