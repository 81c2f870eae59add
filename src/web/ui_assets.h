// What the UI's pages are made of, compiled into the binary: mustache templates (kainjow
// mustache, which escapes every {{value}}; {{{raw}}} is used only for HTML ferry rendered
// itself) and the files under /static/.
#pragma once

#include <optional>
#include <string_view>

namespace ferry::web {

extern const std::string_view kLayoutTemplate;  // title, body (rendered HTML), user {email, csrf}
extern const std::string_view kLoginTemplate;   // email, next, error, no_users
// projects [{name, slug, platform, keys [{dsn, enabled}]}]
extern const std::string_view kOverviewTemplate;
// heading, base, query, environment, sorts [{value, label, selected}], error, csrf, back,
// issues [{id, title, culprit, level, count, users, first_seen, last_seen {ago, iso}, status,
// project}], newer, older
extern const std::string_view kIssueListTemplate;
// id, title, culprit, level, status, resolved/ignored/unresolved, count, users, first_seen,
// last_seen, csrf, project, tag_keys [{key, values [{value, count, pct}]}], event (ui_issues.cc)
extern const std::string_view kIssueTemplate;
// csrf, superuser, created, projects [{name, slug, platform, current, keys [{dsn, enabled,
// snippet}]}]
extern const std::string_view kProjectSettingsTemplate;
// id, title, issue_link, events [{link, event_id, time {ago, iso}, message, release,
// environment}], newer, older
extern const std::string_view kEventListTemplate;
// The partials of kIssueTemplate, for one frame: its heading line (function, file, line), its
// context lines and variables, and both.
extern const std::string_view kFrameHeadPartial;
extern const std::string_view kFrameBodyPartial;
extern const std::string_view kFramePartial;

struct Asset {
  std::string_view content_type;
  std::string_view body;
};
// A file under /static/ by its name ("ferry.css"), or nullopt.
std::optional<Asset> FindAsset(std::string_view name);

}  // namespace ferry::web
