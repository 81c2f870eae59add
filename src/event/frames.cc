#include "event/frames.h"

#include <cctype>
#include <vector>

#include "base/strings.h"

namespace ferry::event {

namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Replaces every alphanumeric token of 8+ hex digits that contains a digit (content hashes,
// chunk ids, commit ids, dates as digits) with "<hash>".
std::string ReplaceHashTokens(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (!IsAlnum(s[i])) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i;
    bool all_hex = true, has_digit = false;
    while (j < s.size() && IsAlnum(s[j])) {
      all_hex = all_hex && IsHex(s[j]);
      has_digit = has_digit || IsDigit(s[j]);
      ++j;
    }
    if (all_hex && has_digit && j - i >= 8) {
      out += "<hash>";
    } else {
      out.append(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

// Replaces "0x" followed by hex digits with "<addr>".
std::string ReplaceAddresses(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '0' && i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        IsHex(s[i + 2]) && (i == 0 || !IsAlnum(s[i - 1]))) {
      size_t j = i + 2;
      while (j < s.size() && IsHex(s[j])) ++j;
      out += "<addr>";
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// Drops the digits that follow `marker` (e.g. "$$Lambda$12" -> "$$Lambda$"), and for
// "$$Lambda" everything after it, since the JVM appends a run-specific class address.
std::string StripJavaSynthetic(std::string s) {
  if (size_t pos = s.find("$$Lambda"); pos != std::string::npos) {
    size_t end = pos + 8;
    size_t dot = s.find('.', end);
    s.erase(end, dot == std::string::npos ? std::string::npos : dot - end);
  }
  for (std::string_view marker : {"ExternalSyntheticLambda", "lambda$", "$Proxy"}) {
    size_t pos = 0;
    while ((pos = s.find(marker, pos)) != std::string::npos) {
      pos += marker.size();
      // "lambda$main$0": skip the method name to reach the number.
      if (marker == "lambda$") {
        while (pos < s.size() && s[pos] != '$' && s[pos] != '.') ++pos;
        if (pos < s.size() && s[pos] == '$') ++pos;
      }
      size_t end = pos;
      while (end < s.size() && IsDigit(s[end])) ++end;
      s.erase(pos, end - pos);
    }
  }
  return s;
}

std::string_view Basename(std::string_view path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsAbsoluteFsPath(std::string_view p) {
  return p.starts_with("/") || (p.size() > 2 && std::isalpha(static_cast<unsigned char>(p[0])) &&
                                p[1] == ':' && p[2] == '/');
}

}  // namespace

FrameKind ClassifyFrame(const Frame& frame, std::string_view event_platform) {
  std::string_view path = !frame.abs_path.empty() ? frame.abs_path : frame.filename;
  if (path.starts_with("package:") || path.starts_with("dart:")) return FrameKind::kDart;
  std::string platform =
      base::AsciiLower(!frame.platform.empty() ? frame.platform : event_platform);
  if (platform == "python") return FrameKind::kPython;
  if (platform == "javascript" || platform == "node") return FrameKind::kJavaScript;
  if (platform == "dart" || platform == "flutter") return FrameKind::kDart;
  if (platform == "native" || platform == "cocoa" || platform == "objc" || platform == "c" ||
      platform == "swift") {
    return FrameKind::kNative;
  }
  if (platform == "java" || platform == "android" || platform == "kotlin") return FrameKind::kJava;
  // Symbolicated or not, a frame with an instruction address and no source file is native.
  if (!frame.instruction_addr.empty() && path.empty()) return FrameKind::kNative;
  return FrameKind::kOther;
}

std::string NormalizeFilename(std::string_view path) {
  std::string p(path);
  for (char& c : p) {
    if (c == '\\') c = '/';
  }
  if (size_t cut = p.find_first_of("?#"); cut != std::string::npos) p.resize(cut);
  bool was_url = false;
  if (size_t scheme = p.find("://"); scheme != std::string::npos) {
    std::string_view name = std::string_view(p).substr(0, scheme);
    size_t rest = scheme + 3;
    if (name == "http" || name == "https") {
      // The host (and port) changes between environments; the path does not.
      size_t slash = p.find('/', rest);
      rest = slash == std::string::npos ? p.size() : slash;
    }
    // file:// URLs point into the file system; every other scheme (webpack://, app://) names
    // a path relative to the bundle root.
    was_url = name != "file";
    p.erase(0, rest);
  } else if (p.starts_with("webpack-internal:") || p.starts_with("app:")) {
    p.erase(0, p.find(':') + 1);
    was_url = true;
  }
  // "/./src/a.js" and "src/a.js" are the same file.
  for (size_t pos; (pos = p.find("/./")) != std::string::npos;) p.erase(pos, 2);
  if (size_t nm = p.rfind("node_modules/"); nm != std::string::npos) {
    p.erase(0, nm);
  } else if (!was_url && IsAbsoluteFsPath(p)) {
    // Deploy directories differ between hosts and releases; the last two segments rarely do.
    size_t last = p.rfind('/');
    size_t prev = last == 0 ? std::string::npos : p.rfind('/', last - 1);
    if (prev != std::string::npos) p.erase(0, prev + 1);
  }
  while (p.starts_with("/") || p.starts_with("./")) p.erase(0, p[0] == '/' ? 1 : 2);
  return ReplaceHashTokens(p);
}

std::string NormalizeFunction(std::string_view function, FrameKind kind) {
  std::string f(base::Trim(function));
  for (std::string_view prefix : {"async ", "new "}) {
    if (std::string_view(f).starts_with(prefix)) f.erase(0, prefix.size());
  }
  if (kind == FrameKind::kNative) {
    // "main + 52" and "foo (in libbar.dylib)" carry an offset and an image already covered by
    // the package; neither identifies the function better.
    if (size_t plus = f.find(" + "); plus != std::string::npos) f.resize(plus);
    if (size_t in = f.find(" (in "); in != std::string::npos) f.resize(in);
    // An unsymbolicated address is no name at all.
    if (f.starts_with("0x") || f == "<unknown>" || f == "?" || f == "??") return "";
  }
  if (kind == FrameKind::kJava) f = StripJavaSynthetic(std::move(f));
  return ReplaceAddresses(f);
}

std::string FrameGroupingKey(const Frame& frame, std::string_view event_platform) {
  const FrameKind kind = ClassifyFrame(frame, event_platform);
  std::string function = NormalizeFunction(frame.function, kind);
  std::string where;
  switch (kind) {
    case FrameKind::kDart: {
      std::string_view path = !frame.abs_path.empty() ? frame.abs_path : frame.filename;
      if (path == "<asynchronous suspension>") return "";
      // package:my_app/src/x.dart is already stable and says which package the code is in.
      where = path.starts_with("package:") || path.starts_with("dart:") ? ReplaceHashTokens(path)
                                                                        : NormalizeFilename(path);
      break;
    }
    case FrameKind::kNative:
      // Without a symbol the frame is only an address: nothing stable to group on.
      if (function.empty()) return "";
      where = std::string(Basename(frame.package));
      break;
    case FrameKind::kJava:
      where = StripJavaSynthetic(frame.module);
      break;
    default:
      where = !frame.module.empty()
                  ? frame.module
                  : NormalizeFilename(!frame.filename.empty() ? frame.filename : frame.abs_path);
      break;
  }
  if (function.empty() || function == "?") {
    // Top-level code has no function name; the source line is what identifies it.
    std::string_view line = base::Trim(frame.context_line);
    if (!line.empty() && line.size() <= 120) function = std::string(line);
  }
  if (where.empty() && function.empty()) return "";
  if (where.empty()) return function;
  if (function.empty()) return where;
  return where + " " + function;
}

std::string_view UrlPath(std::string_view s) {
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep < 2 || sep > 16) return "";
  for (char c : s.substr(0, sep)) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '-' || c == '.')) {
      return "";
    }
  }
  if (s.substr(0, sep) == "webpack") return "";  // "webpack:///./src/x.js" reads best as it is
  size_t slash = s.find('/', sep + 3);
  if (slash == std::string_view::npos) return "";
  std::string_view path = s.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  return path == "/" ? "" : path;
}

}  // namespace ferry::event
