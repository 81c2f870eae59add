#include "event/title.h"

#include <string_view>

#include "base/strings.h"

namespace ferry::event {

namespace {

constexpr size_t kMaxTitleChars = 100;
constexpr size_t kMaxCulpritChars = 200;
constexpr size_t kMaxMetadataValueChars = 1024;

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The first line, as Python's str.splitlines()[0] gives it (no trimming).
std::string_view FirstLine(std::string_view text) {
  size_t end = text.find_first_of("\r\n");
  return end == std::string_view::npos ? text : text.substr(0, end);
}

std::string FramePlatform(const Frame& frame, std::string_view event_platform) {
  return base::AsciiLower(!frame.platform.empty() ? frame.platform : event_platform);
}

// Sentry's get_frame_culprit.
std::string FrameCulprit(const Frame& frame, std::string_view event_platform) {
  std::string platform = FramePlatform(frame, event_platform);
  std::string function = frame.function.empty() ? "?" : frame.function;
  if (platform == "objc" || platform == "cocoa" || platform == "native") return function;
  const std::string& where = !frame.module.empty() ? frame.module : frame.filename;
  if (where.empty()) return "";
  if (platform == "javascript" || platform == "node") return function + "(" + where + ")";
  return where + " in " + function;
}

// Sentry's get_stacktrace_culprit: the last in-app frame that names a place, else what the
// last frame that is not in-app names.
std::string StacktraceCulprit(const Stacktrace& st, std::string_view platform) {
  std::optional<std::string> fallback;
  for (auto it = st.frames.rbegin(); it != st.frames.rend(); ++it) {
    if (it->in_app.value_or(false)) {
      std::string culprit = FrameCulprit(*it, platform);
      if (!culprit.empty()) return culprit;
    } else if (!fallback) {
      fallback = FrameCulprit(*it, platform);
    }
  }
  return fallback.value_or("");
}

// Sentry's crash frame: in the last exception's stack trace (else the event's own), the last
// in-app frame with a known function, else the last frame with one.
const Frame* CrashFrame(const NormalizedEvent& event) {
  const Stacktrace* st = nullptr;
  if (!event.exceptions.empty()) {
    const auto& last = event.exceptions.back();
    if (last.stacktrace) st = &*last.stacktrace;
  } else if (event.thread_stacktrace) {
    st = &*event.thread_stacktrace;
  }
  if (st == nullptr) return nullptr;
  const Frame* fallback = nullptr;
  for (auto it = st->frames.rbegin(); it != st->frames.rend(); ++it) {
    if (it->function.empty() || it->function == "<redacted>" || it->function == "<unknown>") {
      continue;
    }
    if (it->in_app.value_or(false)) return &*it;
    if (fallback == nullptr) fallback = &*it;
  }
  return fallback;
}

}  // namespace

std::string TruncateChars(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  size_t cut = std::string_view::npos;  // byte offset after max_chars - 3 characters
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuation(text[i])) continue;
    if (chars == (max_chars >= 3 ? max_chars - 3 : 0)) cut = i;
    if (++chars > max_chars) return std::string(text.substr(0, cut)) + "...";
  }
  return std::string(text);
}

std::string ComputeTitle(const NormalizedEvent& event) {
  if (!event.exceptions.empty()) {
    const ExceptionValue& last = event.exceptions.back();
    if (last.synthetic) {
      // The JavaScript SDKs attach a synthetic exception (for its stack trace) to every
      // captured message: such an event is titled by its message, as people wrote it. Other
      // synthetic exceptions (signals, crashes) are titled by the crashing function, as
      // Sentry does.
      if (std::string_view message = base::Trim(event.message); !message.empty()) {
        return TruncateChars(FirstLine(message), kMaxTitleChars);
      }
      const Frame* frame = CrashFrame(event);
      return frame != nullptr ? frame->function : "<unknown>";
    }
    std::string type = last.type.empty() ? "Error" : last.type;
    if (last.value.empty()) return type;
    return type + ": " + TruncateChars(FirstLine(last.value), kMaxTitleChars);
  }
  std::string_view message = base::Trim(event.message);
  if (message.empty()) return "<unlabeled event>";
  return TruncateChars(FirstLine(message), kMaxTitleChars);
}

std::string ComputeCulprit(const NormalizedEvent& event, std::string_view sent) {
  std::string culprit;
  if (!sent.empty()) {
    culprit = std::string(sent);
  } else if (!event.transaction.empty()) {
    culprit = event.transaction;
  } else {
    const ExceptionValue* exc = LastExceptionWithFrames(event);
    if (exc != nullptr) {
      culprit = StacktraceCulprit(*exc->stacktrace, event.platform);
    } else if (event.thread_stacktrace) {
      // Native SDKs put the crashed thread's stack there rather than on the exception.
      culprit = StacktraceCulprit(*event.thread_stacktrace, event.platform);
    }
    if (culprit.empty()) culprit = event.request.url;
  }
  return TruncateChars(culprit, kMaxCulpritChars);
}

void ComputeMetadata(NormalizedEvent& event) {
  event.metadata = {};
  if (event.exceptions.empty()) {
    event.metadata.title = event.title;
    return;
  }
  const ExceptionValue& last = event.exceptions.back();
  event.metadata.value = TruncateChars(last.value, kMaxMetadataValueChars);
  if (!last.synthetic) event.metadata.type = last.type.empty() ? "Error" : last.type;
  if (const Frame* frame = CrashFrame(event)) {
    event.metadata.filename = !frame->filename.empty() ? frame->filename : frame->abs_path;
    event.metadata.function = frame->function;
  }
}

}  // namespace ferry::event
