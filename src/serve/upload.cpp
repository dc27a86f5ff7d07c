#include "serve/upload.h"

#include <filesystem>

#include "serve/guard.h"
#include "util/error.h"

namespace murmur::serve {

std::string basename_of(const std::string& path) {
  std::filesystem::path p(path);
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

bool UploadBudget::take(size_t n) {
  size_t used = used_.load();
  do {
    if (used + n > max_) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

Upload read_upload(const httplib::Request& req, const httplib::ContentReader& reader, size_t max_bytes,
                   UploadBudget& budget) {
  // httplib would parse a form-urlencoded body as text: what `curl --data-binary @x.wav` sends
  // without a Content-Type. Name the real problem, before reading a byte of it.
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
    throw RequestError{415,
                       "upload: sent as application/x-www-form-urlencoded; send the recording with Content-Type "
                       "audio/wav (or audio/flac, application/octet-stream) or as multipart field \"file\"",
                       true};
  Upload up;
  up.held.reset(new Upload::Held{&budget});
  size_t total = 0;
  bool over = false, busy = false;
  // Every body byte counts (multipart framing and other fields too); past the limit the read stops.
  auto count = [&](size_t n) {
    total += n;
    over = over || total > max_bytes;
    busy = busy || (!over && !budget.take(n));
    if (!over && !busy) up.held->n += n;
    return !over && !busy;
  };
  bool ok, seen_file = false;
  if (req.is_multipart_form_data()) {
    bool in_file = false;
    ok = reader(
        [&](const httplib::MultipartFormData& part) {
          in_file = part.name == "file" && !seen_file;
          if (in_file) {
            seen_file = true;
            if (!part.filename.empty()) up.name = basename_of(part.filename);
          }
          return true;
        },
        [&](const char* data, size_t n) {
          if (!count(n)) return false;
          if (in_file) up.bytes.append(data, n);
          return true;
        });
  } else {
    ok = reader([&](const char* data, size_t n) {
      if (!count(n)) return false;
      up.bytes.append(data, n);
      return true;
    });
  }
  const LimitHit hit = GuardedServer::limit_hit();
  if (over || hit == LimitHit::body)
    throw RequestError{413, "request body is larger than the server's upload limit of " + std::to_string(max_bytes) +
                                " bytes", true};
  if (busy)
    throw RequestError{503, "busy: the uploads in memory have reached the server's limit of " +
                                std::to_string(budget.max() >> 20) + " MB; retry shortly", true};
  if (hit == LimitHit::timeout)
    throw RequestError{408, "upload: the body stopped arriving (the server's read and request timeouts)", true};
  if (!ok) throw RequestError{400, "upload: the body is truncated or its chunked/multipart framing is broken", true};
  if (req.is_multipart_form_data() && !seen_file)
    throw RequestError{400, "multipart upload: no field named \"file\" (send the recording as file=@x.wav)"};
  return up;
}

audio::Audio decode_upload(const Upload& up, double max_duration_s, double min_duration_s) {
  const std::string& name = up.name;
  if (up.bytes.empty()) throw RequestError{415, name + ": empty body (send a WAV or FLAC file)"};
  audio::LoadConfig load;
  load.min_duration_s = 0;  // checked below, to answer 422 rather than 415
  load.max_duration_s = max_duration_s;
  load.containers = {"wav", "flac"};  // not Ogg: libsndfile leaks on malformed streams (docs/SECURITY.md)
  audio::Audio a;
  try {
    a = audio::decode(up.bytes, name, load);
  } catch (const audio::UnusableAudio& e) {  // decodable, but not usable as a heart sound
    throw RequestError{422, e.what()};
  } catch (const Error& e) {
    throw RequestError{415, e.what()};
  }
  if (a.duration_s() < min_duration_s)
    throw RequestError{422, name + ": " + std::to_string(a.duration_s()) + " s is shorter than the model's minimum of " +
                                std::to_string(min_duration_s) + " s"};
  if (max_duration_s > 0 && a.duration_s() > max_duration_s)
    throw RequestError{422, name + ": " + std::to_string(a.duration_s()) + " s is longer than the server's maximum of " +
                                std::to_string(max_duration_s) + " s"};
  return a;
}

}  // namespace murmur::serve
