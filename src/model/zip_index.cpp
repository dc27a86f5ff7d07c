// Reading a zip's central directory (APPNOTE 4.3.12-4.3.16, and the zip64 records of 4.3.14,
// 4.3.15 and 4.5.3) without reading or decompressing any member.
#include "model/zip_index.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "util/error.h"

namespace murmur::model {

namespace {

uint64_t le(const std::string& b, size_t pos, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= uint64_t(uint8_t(b[pos + size_t(k)])) << (8 * k);
  return v;
}

class ZipReader {
 public:
  explicit ZipReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) fail("cannot open it");
    in_.seekg(0, std::ios::end);
    size_ = uint64_t(in_.tellg());
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(path_ + ": not a readable PyTorch zip checkpoint (" + why + ")");
  }

  uint64_t size() const { return size_; }

  std::string read(uint64_t pos, uint64_t n) {
    if (pos > size_ || n > size_ - pos) fail("a record at byte " + std::to_string(pos) + " lies past the end of the file");
    std::string b(size_t(n), '\0');
    in_.seekg(std::streamoff(pos));
    in_.read(b.data(), std::streamsize(n));
    if (uint64_t(in_.gcount()) != n) fail("read error at byte " + std::to_string(pos));
    return b;
  }

 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

// The zip64 extended-information extra field replaces each 32-bit field that is all ones.
void apply_zip64_extra(ZipReader& zr, const std::string& extra, ZipMember& m, uint64_t& offset) {
  for (size_t p = 0; p + 4 <= extra.size();) {
    const uint64_t id = le(extra, p, 2), len = le(extra, p + 2, 2);
    if (p + 4 + len > extra.size()) zr.fail("member " + m.name + ": extra field runs past its end");
    if (id == 1) {
      size_t q = p + 4;
      auto next = [&](uint64_t& field) {
        if (field != 0xffffffffu) return;
        if (q + 8 > p + 4 + len) zr.fail("member " + m.name + ": zip64 field too short");
        field = le(extra, q, 8);
        q += 8;
      };
      next(m.size);
      next(m.compressed_size);
      next(offset);
    }
    p += 4 + len;
  }
}

}  // namespace

const ZipMember* ZipIndex::find_record(const std::string& record) const {
  const std::string name = archive + "/" + record;
  for (const auto& m : members)
    if (m.name == name) return &m;
  return nullptr;
}

ZipIndex read_zip_index(const std::string& path) {
  ZipReader zr(path);
  ZipIndex zip;
  zip.path = path;
  zip.file_size = zr.size();
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes at the end.
  if (zr.size() < 22) zr.fail("too short for a zip");
  const uint64_t tail_len = std::min<uint64_t>(zr.size(), 22 + 65535);
  const std::string tail = zr.read(zr.size() - tail_len, tail_len);
  size_t eocd = std::string::npos;
  for (size_t p = tail.size() - 22 + 1; p-- > 0;)
    if (le(tail, p, 4) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) zr.fail("no zip end-of-central-directory record");
  uint64_t count = le(tail, eocd + 10, 2), cd_size = le(tail, eocd + 12, 4), cd_offset = le(tail, eocd + 16, 4);
  if (count == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    const uint64_t eocd_pos = zr.size() - tail_len + eocd;
    if (eocd_pos < 20) zr.fail("zip64 locator missing");
    const std::string loc = zr.read(eocd_pos - 20, 20);
    if (le(loc, 0, 4) != 0x07064b50) zr.fail("zip64 locator missing");
    const std::string z64 = zr.read(le(loc, 8, 8), 56);
    if (le(z64, 0, 4) != 0x06064b50) zr.fail("zip64 end-of-central-directory record missing");
    count = le(z64, 32, 8), cd_size = le(z64, 40, 8), cd_offset = le(z64, 48, 8);
  }
  // 46 bytes per entry at least: a count the directory cannot hold is a lie.
  if (cd_size > zr.size() || count > cd_size / 46) zr.fail("central directory larger than the file");
  const std::string cd = zr.read(cd_offset, cd_size);
  std::set<std::string> names;
  for (size_t p = 0, k = 0; k < count; ++k) {
    if (p + 46 > cd.size() || le(cd, p, 4) != 0x02014b50) zr.fail("central directory entry " + std::to_string(k) + " is damaged");
    ZipMember m;
    m.method = uint16_t(le(cd, p + 10, 2));
    m.crc32 = uint32_t(le(cd, p + 16, 4));
    m.compressed_size = le(cd, p + 20, 4);
    m.size = le(cd, p + 24, 4);
    const size_t name_len = le(cd, p + 28, 2), extra_len = le(cd, p + 30, 2), comment_len = le(cd, p + 32, 2);
    uint64_t offset = le(cd, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd.size()) zr.fail("central directory entry " + std::to_string(k) + " is damaged");
    m.name = cd.substr(p + 46, name_len);
    apply_zip64_extra(zr, cd.substr(p + 46 + name_len, extra_len), m, offset);
    if (!names.insert(m.name).second) zr.fail("member " + m.name + " appears twice");
    if (offset > zr.size()) zr.fail("member " + m.name + " starts past the end of the file");
    m.header_offset = offset;
    if (m.method == 0 && m.size != m.compressed_size)
      zr.fail("stored member " + m.name + " claims " + std::to_string(m.size) + " bytes in " +
              std::to_string(m.compressed_size));
    if (m.compressed_size > zr.size()) zr.fail("member " + m.name + " is larger than the file");
    if (__builtin_add_overflow(zip.total_size, m.size, &zip.total_size)) zr.fail("member sizes overflow");
    zip.members.push_back(std::move(m));
    p += 46 + name_len + extra_len + comment_len;
  }
  if (zip.members.empty()) zr.fail("the zip has no members");
  zip.archive = zip.members[0].name.substr(0, zip.members[0].name.find('/'));
  return zip;
}

void check_crc(const ZipMember& member, const void* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  for (size_t done = 0; done < size;) {  // zlib's crc32 takes a 32-bit length
    const uInt n = uInt(std::min<size_t>(size - done, 1u << 30));
    crc = crc32(crc, p + done, n);
    done += n;
  }
  if (size != member.size || uint32_t(crc) != member.crc32) {
    char got[16], want[16];
    std::snprintf(got, sizeof got, "%08x", unsigned(crc));
    std::snprintf(want, sizeof want, "%08x", unsigned(member.crc32));
    throw Error(member.name + ": CRC-32 " + got + " of " + std::to_string(size) +
                " bytes does not match the zip's " + want + " of " + std::to_string(member.size) +
                " bytes: the file is corrupt");
  }
}

std::vector<unsigned char> read_member(const ZipIndex& zip, const ZipMember& m) {
  ZipReader zr(zip.path);
  const std::string header = zr.read(m.header_offset, 30);
  if (le(header, 0, 4) != 0x04034b50) zr.fail("member " + m.name + ": no local file header where the directory says");
  const uint64_t data_at = m.header_offset + 30 + le(header, 26, 2) + le(header, 28, 2);
  std::vector<unsigned char> out;
  if (m.method == 0) {
    const std::string data = zr.read(data_at, m.size);
    out.assign(data.begin(), data.end());
  } else if (m.method == 8) {
    const std::string packed = zr.read(data_at, m.compressed_size);
    out.resize(size_t(m.size));
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) zr.fail("member " + m.name + ": zlib could not start");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = uInt(packed.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    const int rc = packed.size() >> 32 || out.size() >> 32 ? Z_BUF_ERROR : inflate(&z, Z_FINISH);
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != m.size) zr.fail("member " + m.name + ": its deflated data is damaged");
  } else {
    zr.fail("member " + m.name + ": compression method " + std::to_string(m.method) + " (stored and deflated only)");
  }
  check_crc(m, out.data(), out.size());
  return out;
}

}  // namespace murmur::model
