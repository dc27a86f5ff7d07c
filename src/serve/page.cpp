// The web page `murmur serve` answers at GET /: src/web/page.html with its stylesheet and script
// (src/web/style.css, src/web/page.js) inlined, so that "/" is one document with no external
// resources. Opening it with #selftest synthesises a short heart-sound-like WAV in the page and
// sends it through the same path as a dropped file (the headless browser test uses this).
#include "serve/server.h"
#include "util/assets.h"
#include "util/error.h"

namespace murmur::serve {

namespace {

// page with the one occurrence of `tag` replaced by `inline_text`; murmur::Error if it is absent.
std::string replace_tag(std::string page, const std::string& tag, const std::string& inline_text) {
  size_t at = page.find(tag);
  if (at == std::string::npos) throw Error("page.html: no " + tag + " to inline");
  return page.replace(at, tag.size(), inline_text);
}

}  // namespace

const std::string& index_html() {
  static const std::string page = [] {
    std::string p = util::asset("page.html");
    p = replace_tag(p, "<link rel=\"stylesheet\" href=\"style.css\">",
                    "<style>\n" + util::asset("style.css") + "</style>");
    return replace_tag(p, "<script src=\"page.js\"></script>", "<script>\n" + util::asset("page.js") + "</script>");
  }();
  return page;
}

}  // namespace murmur::serve
