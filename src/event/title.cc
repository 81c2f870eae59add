#include "event/title.h"

#include <string_view>

#include "base/strings.h"
#include "event/frames.h"
#include "event/json_util.h"

namespace ferry::event {

namespace {

constexpr size_t kMaxTitleValueChars = 100;

// The first non-empty line of `text`, cut to `max` bytes with an ellipsis.
std::string FirstLine(std::string_view text, size_t max) {
  text = base::Trim(text);
  std::string_view line = text.substr(0, text.find('\n'));
  line = base::Trim(line);
  if (line.size() <= max) return std::string(line);
  return internal::TruncateUtf8(line, max) + "...";
}

}  // namespace

std::string ComputeTitle(const NormalizedEvent& event) {
  if (!event.exceptions.empty()) {
    const ExceptionValue& last = event.exceptions.back();
    std::string type = last.type.empty() ? "Error" : last.type;
    std::string value = FirstLine(last.value, kMaxTitleValueChars);
    if (value.empty()) return type;
    if (last.type.empty() && !last.value.empty()) return value;
    return type + ": " + value;
  }
  std::string message = FirstLine(event.message, kMaxTitleValueChars);
  if (!message.empty()) return message;
  if (!event.transaction.empty()) return event.transaction;
  return "<unlabeled event>";
}

std::string ComputeCulprit(const NormalizedEvent& event) {
  const Stacktrace* st = PrimaryStacktrace(event);
  if (st != nullptr) {
    for (auto it = st->frames.rbegin(); it != st->frames.rend(); ++it) {
      if (it->in_app.value_or(false)) {
        std::string culprit = FrameCulprit(*it, event.platform);
        if (!culprit.empty()) return culprit;
      }
    }
  }
  if (!event.transaction.empty()) return event.transaction;
  if (st != nullptr) {
    for (auto it = st->frames.rbegin(); it != st->frames.rend(); ++it) {
      std::string culprit = FrameCulprit(*it, event.platform);
      if (!culprit.empty()) return culprit;
    }
  }
  return "";
}

}  // namespace ferry::event
