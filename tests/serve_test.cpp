// murmur::serve::Server over loopback with httplib::Client: every endpoint, every error status,
// concurrency, survival after malformed requests, and the web page in headless Chromium.
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "features/png.h"
#include "serve/serve_model.h"
#include "serve/server.h"
#include "serve_test_util.h"
#include "util/error.h"
#include "util/fs.h"

namespace ms = murmur::serve;
namespace mt = murmur::test;
namespace fs = std::filesystem;

namespace {

ms::ServerConfig loopback_config() {
  ms::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = 4;
  cfg.max_upload_mb = 1;  // small, so the 413 test sends little
  return cfg;
}

// One server for the tests that share it.
ms::Server& shared_server() {
  static ms::Server server(mt::tiny_model_path(), loopback_config());
  static bool started = (server.start(), true);
  (void)started;
  return server;
}

httplib::Client client(const ms::Server& s) {
  httplib::Client c("127.0.0.1", s.port());
  c.set_read_timeout(30);
  return c;
}

const std::string& heart_wav() {
  static std::string w = mt::wav_bytes(mt::synth_heart(6), 4000);
  return w;
}

nlohmann::json json_of(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

uint32_t be32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

std::string chromium_path() {
  if (const char* env = std::getenv("MURMUR_CHROMIUM")) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

}  // namespace

TEST(Serve, HealthAndModel) {
  auto& s = shared_server();
  auto c = client(s);
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json_of(h)["status"], "ok");

  auto m = c.Get("/v1/model");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  auto j = json_of(m);
  EXPECT_EQ(j["class_names"].size(), 5u);
  EXPECT_EQ(j["preset"]["name"], "native");
  EXPECT_EQ(j["model"], "model.pth");
  EXPECT_EQ(j["n_models"], 1);
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_TRUE(j["models"][0].contains("provenance"));
  EXPECT_EQ(j["models"][0]["path"], "model.pth");  // no server paths leak
  EXPECT_EQ(j["server"]["host"], "127.0.0.1");
  EXPECT_FALSE(j.contains("cv"));
}

TEST(Serve, ModelOfCvFolderCarriesHeadline) {
  std::string dir = mt::temp_dir("serve_cv");
  fs::create_directories(dir + "/run/fold_0");
  fs::copy_file(mt::tiny_model_path(), dir + "/run/fold_0/model.pth");
  nlohmann::json report = {{"title", "tiny cv"},
                           {"run", {{"created_utc", "2026-11-26T10:00:00Z"}}},
                           {"metrics", {{"patient", {{"macro_f1", {{"value", 0.5}}}, {"accuracy", {{"value", 0.6}}}}}}}};
  murmur::util::write_file_atomic(dir + "/run/report.json", report.dump());
  ms::Server server(dir + "/run", loopback_config());
  server.start();
  auto c = client(server);
  auto m = c.Get("/v1/model");
  ASSERT_TRUE(m);
  auto j = json_of(m);
  EXPECT_EQ(j["model"], "run");
  EXPECT_EQ(j["models"][0]["path"], "fold_0/model.pth");
  EXPECT_EQ(j["cv"]["title"], "tiny cv");
  EXPECT_DOUBLE_EQ(j["cv"]["headline"]["patient"]["macro_f1"]["value"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["cv"]["headline"]["patient"]["accuracy"]["value"].get<double>(), 0.6);
  server.stop();
}

TEST(Serve, PredictRawAndMultipartAgree) {
  auto& s = shared_server();
  auto c = client(s);
  auto raw = c.Post("/v1/predict", heart_wav(), "audio/wav");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  auto j = json_of(raw);
  for (const char* key : {"class", "probabilities", "duration_s", "sample_rate_hz", "model", "preset", "elapsed_ms"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_NEAR(j["duration_s"].get<double>(), 6.0, 1e-6);
  EXPECT_EQ(j["sample_rate_hz"], 4000);
  EXPECT_EQ(j["preset"], "native");
  EXPECT_EQ(j["model"], "model.pth");
  EXPECT_EQ(j["quality"]["status"], "ok");
  double sum = 0, best = -1;
  std::string best_name;
  for (auto& [k, v] : j["probabilities"].items()) {
    sum += v.get<double>();
    if (v.get<double>() > best) best = v.get<double>(), best_name = k;
  }
  EXPECT_NEAR(sum, 1.0, 1e-4);
  EXPECT_EQ(j["class"], best_name);
  EXPECT_FALSE(j.contains("explanation")) << "only when asked";
  // ?explain=1 adds why (the page asks for it), and changes no answer.
  auto why = c.Post("/v1/predict?explain=1", heart_wav(), "audio/wav");
  ASSERT_TRUE(why);
  ASSERT_EQ(why->status, 200) << why->body;
  auto wj = json_of(why);
  for (auto& [k, v] : j["probabilities"].items()) EXPECT_NEAR(wj["probabilities"][k].get<double>(), v.get<double>(), 1e-6);
  EXPECT_EQ(wj["explanation"]["classes"][0]["class"], j["class"]) << why->body;
  EXPECT_NE(wj["explanation"]["sentence"].get<std::string>().find(j["class"].get<std::string>() + ": "), std::string::npos)
      << why->body;

  httplib::MultipartFormDataItems items = {{"file", heart_wav(), "heart.wav", "audio/wav"}};
  auto multi = c.Post("/v1/predict", items);
  ASSERT_TRUE(multi);
  ASSERT_EQ(multi->status, 200) << multi->body;
  auto jm = json_of(multi);
  EXPECT_EQ(jm["file"], "heart.wav");
  for (auto& [k, v] : j["probabilities"].items()) EXPECT_NEAR(jm["probabilities"][k].get<double>(), v.get<double>(), 1e-6);

  // A 44.1 kHz stereo upload is mixed and resampled to the model's rate.
  auto hifi = c.Post("/v1/predict", mt::wav_bytes(mt::synth_heart(3, 44100), 44100, 2), "audio/wav");
  ASSERT_TRUE(hifi);
  EXPECT_EQ(hifi->status, 200) << hifi->body;
  EXPECT_EQ(json_of(hifi)["sample_rate_hz"], 44100);
  EXPECT_EQ(json_of(hifi)["channels"], 2);
}

TEST(Serve, ErrorsAreJsonWithTheRightStatus) {
  auto& s = shared_server();
  auto c = client(s);
  auto expect_error = [](const httplib::Result& r, int status, const std::string& words) {
    ASSERT_TRUE(r) << "no response (status " << status << " expected)";
    EXPECT_EQ(r->status, status) << r->body;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(words), std::string::npos) << j["error"];
  };
  std::mt19937 rng(5);
  std::string noise(5000, '\0');
  for (auto& ch : noise) ch = char(rng());
  expect_error(c.Post("/v1/predict", noise, "application/octet-stream"), 415, "upload");
  expect_error(c.Post("/v1/predict", "", "audio/wav"), 415, "empty");
  expect_error(c.Post("/v1/predict", heart_wav().substr(0, 40), "audio/wav"), 415, "upload");
  // Too short: the model's minimum is 1 s; one sample less is refused, 1 s accepted (both sides).
  auto heart = mt::synth_heart(2);
  expect_error(c.Post("/v1/predict", mt::wav_bytes({heart.begin(), heart.begin() + 3999}, 4000), "audio/wav"), 422,
               "shorter");
  auto one_s = c.Post("/v1/predict", mt::wav_bytes({heart.begin(), heart.begin() + 4000}, 4000), "audio/wav");
  ASSERT_TRUE(one_s);
  EXPECT_EQ(one_s->status, 200) << one_s->body;
  expect_error(c.Post("/v1/predict", mt::wav_bytes(std::vector<float>(8000, 0.f), 4000), "audio/wav"), 422, "silent");
  // Decodable but not a heart sound (audio::UnusableAudio): 422, not 415.
  expect_error(c.Post("/v1/predict", mt::wav_bytes({heart.begin(), heart.begin() + 2000}, 500), "audio/wav"), 422,
               "minimum");
  httplib::MultipartFormDataItems wrong_field = {{"audio", heart_wav(), "heart.wav", "audio/wav"}};
  expect_error(c.Post("/v1/predict", wrong_field), 400, "\"file\"");
  // Over the 1 MB limit: 413 (the body is refused from its Content-Length, before it is read).
  expect_error(c.Post("/v1/predict", std::string(1024 * 1024 + 1, 'x'), "audio/wav"), 413, "limit");
  expect_error(c.Post("/v1/spectrogram", noise, "audio/wav"), 415, "upload");
  // `curl --data-binary @x.wav` without a Content-Type: httplib would parse it as a form (8 KB cap).
  expect_error(c.Post("/v1/predict", heart_wav(), "application/x-www-form-urlencoded"), 415, "Content-Type");
  expect_error(c.Get("/v1/nothing"), 404, "no such endpoint");
  // Ogg is refused before libsndfile sees it (it leaks memory on malformed Ogg Vorbis streams);
  // the fuzz corpus's valid 1 s Ogg Vorbis file stands for any.
  expect_error(c.Post("/v1/predict", murmur::util::read_file(std::string(MURMUR_SOURCE_DIR) +
                                                              "/fuzz/corpus/audio/ogg_8k_1s.ogg"), "audio/ogg"),
               415, "ogg files are not accepted here (accepted: wav, flac)");
  // An uploaded name that is not UTF-8 comes back in the JSON answer with U+FFFD, not as a 500.
  httplib::MultipartFormDataItems latin1 = {{"file", heart_wav(), "h\xE9" "art.wav", "audio/wav"}};
  auto named = c.Post("/v1/predict", latin1);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->status, 200) << named->body;
  EXPECT_EQ(nlohmann::json::parse(named->body)["file"], "h\xEF\xBF\xBD" "art.wav");

  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(Serve, SpectrogramIsThePngOfTheFeatures) {
  auto& s = shared_server();
  auto c = client(s);
  auto r = c.Post("/v1/spectrogram", heart_wav(), "audio/wav");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(r->body.size(), 24u);
  EXPECT_EQ(r->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Native: 32 mel bands x 4 px high; one column per 32 ms frame of the 6 s file (188 frames).
  EXPECT_EQ(be32(r->body, 20), 32u * 4u);
  EXPECT_EQ(be32(r->body, 16), 188u);

  // encode_png round-trips through libpng's reader.
  murmur::features::Image im(3, 2, 3);
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = uint8_t(i * 13);
  std::string dir = mt::temp_dir("serve_png");
  murmur::util::write_file_atomic(dir + "/x.png", murmur::features::encode_png(im));
  auto back = murmur::features::read_png(dir + "/x.png");
  EXPECT_EQ(back.width, 3);
  EXPECT_EQ(back.height, 2);
  EXPECT_EQ(back.pixels, im.pixels);
}

// Concurrent requests share forward passes (micro-batching, serve/batcher.h) and two model
// copies; recordings of two lengths are mixed, and each answer is what that recording gets alone.
TEST(Serve, ConcurrentRequestsGiveIdenticalAnswers) {
  ms::ServerConfig cfg = loopback_config();
  cfg.model_copies = 2;
  cfg.max_batch = 16;
  cfg.batch_window_ms = 50;
  ms::Server server(mt::tiny_model_path(), cfg);
  server.start();
  const std::string short_wav = mt::wav_bytes(mt::synth_heart(3), 4000);
  const std::vector<const std::string*> wavs{&heart_wav(), &short_wav};
  std::vector<nlohmann::json> reference;
  for (auto* w : wavs) reference.push_back(json_of(client(server).Post("/v1/predict", *w, "audio/wav"))["probabilities"]);
  EXPECT_NE(reference[0], reference[1]);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto c = client(server);
      for (int i = 0; i < 4; ++i) {
        const size_t which = size_t(t + i) % 2;
        auto r = c.Post("/v1/predict", *wavs[which], "audio/wav");
        if (!r || r->status != 200) { ++bad; continue; }
        auto p = json_of(r)["probabilities"];
        for (auto& [k, v] : reference[which].items())
          if (std::fabs(p[k].get<double>() - v.get<double>()) > 1e-5) ++bad;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad, 0);
  const auto batches = json_of(client(server).Get("/healthz"))["batches"];
  EXPECT_EQ(batches["recordings"].get<int>(), 2 + 8 * 4) << batches;
  EXPECT_GE(batches["count"].get<int>(), 1) << batches;
  EXPECT_LE(batches["largest"].get<int>(), cfg.workers) << batches;  // a batch holds requests being served
  server.stop();
}

TEST(Serve, SurvivesMalformedRequests) {
  auto& s = shared_server();
  // Raw sockets: garbage, a huge header, a truncated body that promises more than it sends.
  auto send_raw = [&](const std::string& bytes) {
    httplib::Client c("127.0.0.1", s.port());
    c.set_connection_timeout(2);
    c.set_read_timeout(2);
    httplib::Headers headers;
    (void)headers;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(s.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      (void)!::write(fd, bytes.data(), bytes.size());
      ::shutdown(fd, SHUT_WR);
      char buf[1024];
      timeval tv{2, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      while (::read(fd, buf, sizeof buf) > 0) {}
    }
    ::close(fd);
  };
  std::mt19937 rng(9);
  std::string junk(3000, '\0');
  for (auto& ch : junk) ch = char(rng());
  send_raw(junk);
  send_raw("POST /v1/predict HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n");
  send_raw("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 80000\r\n\r\n" + heart_wav().substr(0, 1000));
  send_raw("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  send_raw("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=zz\r\n"
           "Content-Length: 30\r\n\r\n--zz\r\nContent-Disposition: bro");
  auto c = client(s);
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto p = c.Post("/v1/predict", heart_wav(), "audio/wav");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200);
}

// What `murmur serve` runs for a native model: the native engine without LibTorch (serve_model.h)
// answers as LibTorch's service does: probabilities, explanations, the model's description,
// pictures and errors.
TEST(Serve, NativeEngineAnswersAsLibTorchDoes) {
  std::string why;
  auto engine = ms::native_serve_model(mt::tiny_model_path(), 1, &why);
  ASSERT_TRUE(engine) << why;
  ms::Server lean(mt::tiny_model_path(), std::move(engine), loopback_config());
  lean.start();
  auto torch_side = client(shared_server()), native = client(lean);
  for (const char* path : {"/v1/predict", "/v1/predict?explain=1"}) {
    auto a = torch_side.Post(path, heart_wav(), "audio/wav"), b = native.Post(path, heart_wav(), "audio/wav");
    ASSERT_TRUE(a && b);
    ASSERT_EQ(b->status, 200) << b->body;
    const auto ja = json_of(a), jb = json_of(b);
    EXPECT_EQ(jb["class"], ja["class"]) << path;
    for (auto& [k, v] : ja["probabilities"].items())
      EXPECT_NEAR(jb["probabilities"][k].get<double>(), v.get<double>(), 1e-5) << path << " " << k;
    for (const char* key : {"duration_s", "sample_rate_hz", "channels", "quality", "preset", "model", "file"})
      EXPECT_EQ(jb[key], ja[key]) << path << " " << key;
    EXPECT_EQ(jb.contains("explanation"), ja.contains("explanation")) << path;
    if (!ja.contains("explanation")) continue;
    const auto &ea = ja["explanation"], &eb = jb["explanation"];
    ASSERT_FALSE(eb.contains("unavailable")) << eb.dump();
    EXPECT_EQ(eb["heart_rate_bpm"], ea["heart_rate_bpm"]);
    ASSERT_EQ(eb["classes"].size(), ea["classes"].size());
    for (size_t k = 0; k < ea["classes"].size(); ++k) {
      EXPECT_EQ(eb["classes"][k]["class"], ea["classes"][k]["class"]);
      EXPECT_EQ(eb["classes"][k]["phase"], ea["classes"][k]["phase"]);
      for (const char* key : {"p_without_systole", "p_without_diastole"})
        EXPECT_NEAR(eb["classes"][k][key].get<double>(), ea["classes"][k][key].get<double>(), 1e-5) << key;
    }
  }
  auto ma = torch_side.Get("/v1/model"), mb = native.Get("/v1/model");
  ASSERT_TRUE(ma && mb);
  for (const char* key : {"class_names", "n_models", "model", "models", "patient_fusion"})
    EXPECT_EQ(json_of(mb)[key], json_of(ma)[key]) << key;
  EXPECT_EQ(json_of(mb)["preset"]["name"], "native");
  auto pa = torch_side.Post("/v1/spectrogram", heart_wav(), "audio/wav");
  auto pb = native.Post("/v1/spectrogram", heart_wav(), "audio/wav");
  ASSERT_TRUE(pa && pb);
  ASSERT_EQ(pb->status, 200) << pb->body;
  EXPECT_EQ(be32(pb->body, 16), be32(pa->body, 16));
  EXPECT_EQ(be32(pb->body, 20), be32(pa->body, 20));
  const std::string too_short = mt::wav_bytes(std::vector<float>(400, 0.1f), 4000);
  auto sa = torch_side.Post("/v1/predict", too_short, "audio/wav"), sb = native.Post("/v1/predict", too_short, "audio/wav");
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(sb->status, 422);
  EXPECT_EQ(sb->body, sa->body);
  lean.stop();
  EXPECT_THROW(ms::Server(mt::tiny_model_path(), std::unique_ptr<ms::ServeModel>(), loopback_config()), murmur::Error);
}

TEST(Serve, RejectsBadSettingsAndBusyPorts) {
  ms::ServerConfig cfg;
  cfg.workers = 0;
  EXPECT_THROW(ms::Server(mt::tiny_model_path(), cfg), murmur::Error);
  cfg = ms::ServerConfig{};
  cfg.port = shared_server().port();
  ms::Server second(mt::tiny_model_path(), cfg);
  EXPECT_THROW(second.start(), murmur::Error);
}

TEST(Serve, PageClassifiesInHeadlessChromium) {
  std::string chromium = chromium_path();
  if (chromium.empty()) GTEST_SKIP() << "no /usr/bin/chromium: skipping the web page test";
  auto& s = shared_server();
  auto page = client(s).Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("v1/predict"), std::string::npos);
  EXPECT_EQ(page->body.find("http"), page->body.find("https or localhost"));  // no external resources

  std::string dir = mt::temp_dir("serve_chromium");
  fs::path artifacts = fs::path(MURMUR_BINARY).parent_path() / "test_artifacts";
  fs::create_directories(artifacts);
  auto run = [&](const std::string& args, const std::string& out) {
    std::string cmd = "timeout 90 " + chromium +
                      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                      " --disable-background-networking --disable-component-update --disable-sync"
                      " --user-data-dir=" + dir + "/profile " + args + " '" + s.url() + "/#selftest' > " + out +
                      " 2>" + dir + "/chromium.log";
    return std::system(cmd.c_str());
  };
  // The page's self-test posts a WAV and waits for the answer. Headless Chromium dumps the DOM
  // when its virtual-time budget runs out, which on a loaded machine can come before the answer
  // does: a page still "busy" is asked again with a longer budget; "error" fails at once.
  std::string dom, body;
  for (int budget_ms : {20000, 60000, 120000}) {
    ASSERT_EQ(run("--dump-dom --virtual-time-budget=" + std::to_string(budget_ms), dir + "/dom.html"), 0)
        << murmur::util::read_file(dir + "/chromium.log");
    dom = murmur::util::read_file(dir + "/dom.html");
    body = dom.substr(std::min(dom.size(), dom.find("<body")));
    if (body.find("data-state=\"busy\"") == std::string::npos) break;
  }
  EXPECT_NE(dom.find("data-state=\"done\""), std::string::npos)
      << body.substr(0, 3000) << "\nchromium log:\n" << murmur::util::read_file(dir + "/chromium.log");
  auto at = dom.find("id=\"verdict\" data-class=\"");
  ASSERT_NE(at, std::string::npos) << body.substr(0, 3000);
  std::string cls = dom.substr(at + 25, dom.find('"', at + 25) - at - 25);
  auto names = shared_server().model_info()["class_names"];
  EXPECT_NE(std::find(names.begin(), names.end(), cls), names.end()) << cls;
  size_t bars = 0;
  for (size_t p = 0; (p = dom.find("class=\"bar", p)) != std::string::npos; ++p) ++bars;
  EXPECT_EQ(bars, 5u);
  EXPECT_NE(dom.find("blob:"), std::string::npos);  // the spectrogram image arrived

  std::string shot = (artifacts / "serve_page.png").string();
  fs::remove(shot);
  EXPECT_EQ(run("--screenshot=" + shot + " --window-size=800,1300 --virtual-time-budget=20000", "/dev/null"), 0);
  EXPECT_TRUE(fs::exists(shot) && fs::file_size(shot) > 10000) << shot;
}
