#include "web/search.h"

#include "event/tags.h"
#include "protocol/auth.h"

namespace ferry::web {

bool ParseId(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

namespace {

// Sentry's search keys that are not tags and that ferry does not answer yet: refused, so that
// a search is never silently wider than asked.
bool IsUnsupportedSearchKey(std::string_view key) {
  for (std::string_view k : {"assigned", "assigned_or_suggested", "bookmarks", "subscribed", "age",
                             "firstSeen", "lastSeen", "timesSeen", "times_seen", "has",
                             "first_release", "firstRelease", "issue.category", "issue.type",
                             "event.timestamp", "timestamp", "userCount", "unassigned"}) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

// Sentry's search syntax: is:<status>, level:<level>, any tag as key:value (derived ones too:
// environment, release, browser.name, handled, user, ...), user.id: / user.email: /
// user.username: / user.ip: for the user tag, "!" before a key to negate it, quotes around
// values with spaces, and free text for the rest.
base::Status ParseQuery(std::string_view text, store::IssueQuery* q) {
  std::string free;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    bool quoted = false;
    while (i < text.size() && (quoted || text[i] != ' ')) {
      if (text[i] == '"') quoted = !quoted;
      ++i;
    }
    std::string token(text.substr(start, i - start));
    if (token.empty()) continue;
    auto colon = token.find(':');
    // A colon inside quotes (free text "a: b") or a value-less "key:" is text, not a filter.
    if (token.front() == '"' || colon == 0 || colon + 1 >= token.size()) {
      colon = std::string::npos;
    }
    std::string key = colon == std::string::npos ? "" : token.substr(0, colon);
    std::string value = colon == std::string::npos ? token : token.substr(colon + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    bool negated = key.size() > 1 && key.front() == '!';
    if (negated) key.erase(0, 1);
    if (key.empty()) {
      if (!free.empty()) free += ' ';
      free += value;
      continue;
    }
    if (key == "is" && !negated) {
      auto status = store::ParseIssueStatus(value);
      if (!status) return base::InvalidArgument("unknown status \"" + value + "\" in query");
      q->status = status;
    } else if (key == "level" && !negated) {
      q->level = value;
    } else if (IsUnsupportedSearchKey(key) || key == "is" || key == "level") {
      return base::InvalidArgument("unsupported search key \"" + token.substr(0, colon) + "\"");
    } else {
      if (key == "user.id" || key == "user.email" || key == "user.username" || key == "user.ip") {
        value = key.substr(5) + ":" + value;
        key = "user";
      }
      if (!event::IsValidTagKey(key)) {
        return base::InvalidArgument("invalid search key \"" + key + "\"");
      }
      if (q->tags.size() >= store::IssueQuery::kMaxTagFilters) {
        return base::InvalidArgument("more than " +
                                     std::to_string(store::IssueQuery::kMaxTagFilters) +
                                     " tag filters in query");
      }
      q->tags.push_back({key, value, negated});
    }
  }
  q->text = free;
  return base::Status::Ok();
}

// Sentry's sort names: date (last seen, the default), new (first seen), freq (events), user.
base::Result<store::IssueSort> ParseSort(std::string_view sort) {
  if (sort.empty() || sort == "date") return store::IssueSort::kLastSeen;
  if (sort == "new") return store::IssueSort::kFirstSeen;
  if (sort == "freq") return store::IssueSort::kEvents;
  if (sort == "user") return store::IssueSort::kUsers;
  return base::InvalidArgument("unknown sort \"" + std::string(sort) +
                               "\": use date, new, freq or user");
}

std::string QueryParam(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return "";
  return protocol::QueryParam(target.substr(q + 1), name).value_or("");
}

// Sentry's cursors look like "0:100:0"; the middle number is the offset.
int64_t ParseCursor(std::string_view cursor) {
  auto first = cursor.find(':');
  if (first != std::string_view::npos) {
    auto second = cursor.find(':', first + 1);
    cursor = cursor.substr(
        first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1);
  }
  int64_t offset = 0;
  return ParseId(cursor, &offset) ? offset : 0;
}

}  // namespace ferry::web
