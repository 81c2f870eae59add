#include "event/event.h"

#include <cstdint>
#include <cstdio>

#include "base/strings.h"

namespace ferry::event {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kFatal:
      return "fatal";
    case Level::kError:
      return "error";
    case Level::kWarning:
      return "warning";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "error";
}

std::optional<Level> ParseLevelName(std::string_view text) {
  // Lowered into a small buffer: every breadcrumb has a level, and no known name is longer.
  text = base::Trim(text);
  char buf[8];
  if (text.size() > sizeof buf) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view name(buf, text.size());
  if (name == "fatal" || name == "critical" || name == "50") return Level::kFatal;
  if (name == "error" || name == "40") return Level::kError;
  if (name == "warning" || name == "warn" || name == "30") return Level::kWarning;
  if (name == "info" || name == "log" || name == "20") return Level::kInfo;
  if (name == "debug" || name == "10") return Level::kDebug;
  return std::nullopt;
}

namespace {

// Writes `value` as exactly `width` decimal digits ending just before `end`.
void PutDigits(char* end, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string FormatRfc3339(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  auto us = time_point_cast<microseconds>(tp);
  auto day = floor<days>(us);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> hms{us - day};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    // Outside what four digits hold; normalization never produces such times.
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", year,
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()),
                  static_cast<long long>(hms.subseconds().count()));
    return buf;
  }
  // Every event and breadcrumb timestamp is formatted here; snprintf's format parsing cost
  // more than the rest of the breadcrumb, so the fixed layout is filled in directly.
  std::string out = "0000-00-00T00:00:00.000000Z";
  char* p = out.data();
  PutDigits(p + 4, static_cast<uint64_t>(year), 4);
  PutDigits(p + 7, unsigned(ymd.month()), 2);
  PutDigits(p + 10, unsigned(ymd.day()), 2);
  PutDigits(p + 13, static_cast<uint64_t>(hms.hours().count()), 2);
  PutDigits(p + 16, static_cast<uint64_t>(hms.minutes().count()), 2);
  PutDigits(p + 19, static_cast<uint64_t>(hms.seconds().count()), 2);
  PutDigits(p + 26, static_cast<uint64_t>(hms.subseconds().count()), 6);
  return out;
}

const ExceptionValue* LastExceptionWithFrames(const NormalizedEvent& event) {
  for (auto it = event.exceptions.rbegin(); it != event.exceptions.rend(); ++it) {
    if (it->stacktrace.has_value() && !it->stacktrace->frames.empty()) return &*it;
  }
  return nullptr;
}

const Stacktrace* PrimaryStacktrace(const NormalizedEvent& event) {
  if (const ExceptionValue* exc = LastExceptionWithFrames(event)) return &*exc->stacktrace;
  if (event.thread_stacktrace.has_value() && !event.thread_stacktrace->frames.empty()) {
    return &*event.thread_stacktrace;
  }
  return nullptr;
}

}  // namespace ferry::event
