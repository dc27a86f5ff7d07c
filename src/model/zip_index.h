// The central directory of a zip file (every member's name, sizes and CRC-32), read before a
// checkpoint is opened, so that sizes are checked before anything is allocated and every
// member read is verified against its CRC (LibTorch's zip reader checks neither; murmur reads
// checkpoints with this and no LibTorch).
//
//   ZipIndex zip = read_zip_index("model.pth");           // murmur::Error naming the file
//   zip.total_size                                        // sum of the members' sizes
//   const ZipMember* m = zip.find_record("data.pkl");     // "<archive>/data.pkl", as LibTorch
//   check_crc(*m, data, size);                            // murmur::Error naming the member
//   std::vector<unsigned char> b = read_member(zip, *m);  // its bytes, inflated and CRC-checked
//
// Reads zip and zip64 central directories; member names must be unique.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace murmur::model {

struct ZipMember {
  std::string name;            // full name in the zip: "archive/data/0"
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;           // uncompressed
  uint16_t method = 0;         // 0 stored, 8 deflated
  uint64_t header_offset = 0;  // of its local file header
};

struct ZipIndex {
  std::string path;
  uint64_t file_size = 0;
  uint64_t total_size = 0;     // uncompressed, all members
  std::string archive;         // folder of the first member, which LibTorch prefixes to records
  std::vector<ZipMember> members;
  // The member called `record` as torch.save names it ("<archive>/<record>"), or nullptr.
  const ZipMember* find_record(const std::string& record) const;
};

// Throws murmur::Error "<path>: not a readable PyTorch zip checkpoint (<why>)".
ZipIndex read_zip_index(const std::string& path);

// Throws murmur::Error "<member>: CRC-32 ... does not match ..." unless data matches the member.
void check_crc(const ZipMember& member, const void* data, size_t size);

// A member's bytes (stored or deflated), checked against its local header and CRC-32. Throws
// murmur::Error "<path>: not a readable PyTorch zip checkpoint (<why>)" or check_crc's.
std::vector<unsigned char> read_member(const ZipIndex& zip, const ZipMember& member);

}  // namespace murmur::model
