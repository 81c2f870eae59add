#include "event/stacktrace.h"

#include <cstdint>
#include <string>

#include "event/frames.h"
#include "event/json_util.h"

namespace ferry::event::internal {

namespace json = boost::json;

namespace {

// Context lines beyond this many on each side add bytes but no understanding.
constexpr size_t kMaxContextLines = 5;
constexpr size_t kMaxContextLineBytes = 256;
constexpr size_t kMaxVarsBytes = 2048;

std::optional<int64_t> ReadInt(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  if (v->is_double() && v->get_double() >= -9e15 && v->get_double() <= 9e15) {
    return static_cast<int64_t>(v->get_double());
  }
  return std::nullopt;
}

std::vector<std::string> ReadLines(const json::value* v) {
  std::vector<std::string> lines;
  const json::array* arr = AsArray(v);
  if (arr == nullptr) return lines;
  // The lines nearest to context_line matter most: for pre_context those are the last ones.
  for (const json::value& line : *arr) {
    lines.push_back(ScalarText(&line, kMaxContextLineBytes));
  }
  return lines;
}

// As Relay does: a frame that names only a URL keeps it as abs_path and gets the URL's path
// as its filename ("https://example.com/dist/app.js?v=2" -> "/dist/app.js"), which is what
// people read in a culprit; a frame with only an abs_path gets it (or its path) as filename.
// A frame with only a file path keeps abs_path empty: it means the same (serialize.h).
void SplitUrlFilename(Frame& f) {
  if (f.filename.empty()) {
    std::string_view path = UrlPath(f.abs_path);
    f.filename = path.empty() ? f.abs_path : std::string(path);
    f.filename_from_url = !path.empty();
    return;
  }
  if (!f.abs_path.empty() && f.abs_path != f.filename) return;  // the SDK sent both
  std::string_view path = UrlPath(f.filename);
  if (path.empty()) return;  // a file's path; abs_path, when absent, means the same
  std::string filename(path);
  f.abs_path = std::move(f.filename);
  f.filename = std::move(filename);
  f.filename_from_url = true;
}

Frame ParseFrame(const json::value& v, const NormalizeOptions& opts) {
  const size_t max = opts.max_short_string_bytes;
  Frame f;
  f.filename = ScalarText(Member(&v, "filename"), max);
  f.abs_path = ScalarText(Member(&v, "abs_path"), max);
  f.module = ScalarText(Member(&v, "module"), max);
  f.function = ScalarText(Member(&v, "function"), max);
  if (f.function.empty()) f.function = ScalarText(Member(&v, "symbol"), max);
  f.package = ScalarText(Member(&v, "package"), max);
  f.platform = ScalarText(Member(&v, "platform"), 32);
  f.instruction_addr = ScalarText(Member(&v, "instruction_addr"), 32);
  SplitUrlFilename(f);
  f.lineno = ReadInt(Member(&v, "lineno"));
  f.colno = ReadInt(Member(&v, "colno"));
  if (const json::value* in_app = Member(&v, "in_app"); in_app != nullptr && in_app->is_bool()) {
    f.in_app = in_app->get_bool();
  } else {
    f.in_app = InferInApp(f);
  }
  f.context_line = ScalarText(Member(&v, "context_line"), kMaxContextLineBytes);
  f.pre_context = ReadLines(Member(&v, "pre_context"));
  if (f.pre_context.size() > kMaxContextLines) {
    f.pre_context.erase(f.pre_context.begin(), f.pre_context.end() - kMaxContextLines);
  }
  f.post_context = ReadLines(Member(&v, "post_context"));
  if (f.post_context.size() > kMaxContextLines) f.post_context.resize(kMaxContextLines);
  f.vars_json = BoundedJson(Member(&v, "vars"), kMaxVarsBytes);
  return f;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::optional<bool> InferInApp(const Frame& frame) {
  // JVM and .NET frames name their module: the platform's own namespaces are not the app.
  for (std::string_view platform_module :
       {"java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "android.",
        "androidx.", "dalvik.", "io.sentry.", "System.", "Microsoft."}) {
    if (frame.module.starts_with(platform_module)) return false;
  }
  std::string_view path = !frame.abs_path.empty() ? frame.abs_path : frame.filename;
  if (path.empty()) return std::nullopt;
  if (path.starts_with("dart:") || path.starts_with("package:flutter/")) return false;
  if (path.starts_with("package:")) return true;
  if (path.starts_with("node:") || path.starts_with("internal/") || path.starts_with("<frozen ")) {
    return false;
  }
  for (std::string_view library :
       {"/node_modules/", "\\node_modules\\", "/site-packages/", "/dist-packages/", "/lib/python",
        "/vendor/", "/gems/", "/@sentry/", "sentry-cdn.com/", "/go/pkg/mod/", "/usr/lib/go",
        "/usr/local/go/src/"}) {
    if (Contains(path, library)) return false;
  }
  return std::nullopt;
}

std::optional<Stacktrace> ParseStacktrace(const json::value* v, const NormalizeOptions& opts) {
  const json::array* frames = AsArray(Member(v, "frames"));
  if (frames == nullptr || frames->empty()) return std::nullopt;
  Stacktrace st;
  const size_t total = frames->size();
  const size_t max = opts.max_frames == 0 ? 1 : opts.max_frames;
  const size_t head = total > max ? max / 2 : total;
  const size_t tail_start = total > max ? total - (max - head) : total;
  for (size_t i = 0; i < total; ++i) {
    if (i >= head && i < tail_start) continue;
    const json::value& frame = (*frames)[i];
    if (!frame.is_object()) continue;
    st.frames.push_back(ParseFrame(frame, opts));
  }
  st.frames_omitted = tail_start - head;
  if (st.frames.empty()) return std::nullopt;
  return st;
}

}  // namespace ferry::event::internal
