#include "web/ui_assets.h"

namespace ferry::web {

const std::string_view kLayoutTemplate = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{title}} · ferry</title>
<link rel="stylesheet" href="/static/ferry.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="top">
<a class="brand" href="/">ferry</a>
{{#user}}
<form method="post" action="/logout" class="signout">
<input type="hidden" name="csrf" value="{{csrf}}">
<span class="who">{{email}}</span>
<button type="submit">Sign out</button>
</form>
{{/user}}
</header>
<main>
{{{body}}}
</main>
</body>
</html>
)html";

const std::string_view kLoginTemplate = R"html(<section class="login">
<h1>Sign in</h1>
{{#no_users}}
<p class="banner">There is no user yet. Create one on the server:
<code>ferry createuser --email you@example.com --password-stdin</code>
(add <code>--superuser</code> for the first one), then sign in here.</p>
{{/no_users}}
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<form method="post" action="/login">
<input type="hidden" name="next" value="{{next}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{{email}}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</section>
)html";

const std::string_view kOverviewTemplate = R"html(<h1>Projects</h1>
{{^projects}}<p>No project yet: <code>ferry</code> creates <code>default</code> on its first start.</p>{{/projects}}
<ul class="projects">
{{#projects}}
<li class="project">
<h2>{{name}}</h2>
<p class="muted">{{slug}} · {{platform}}</p>
<dl>
{{#keys}}<dt>DSN{{^enabled}} (disabled){{/enabled}}</dt><dd><code>{{dsn}}</code></dd>{{/keys}}
</dl>
</li>
{{/projects}}
</ul>
)html";

namespace {

constexpr std::string_view kCss = R"css(:root {
  --bg: #fff; --fg: #1d1f24; --muted: #5f6673; --line: #dde1e7; --accent: #2d5bd3;
  --error: #b3261e; --panel: #f5f7fa;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #16181d; --fg: #e6e8ec; --muted: #9aa1ad; --line: #2c3038; --accent: #7ea2ff;
    --error: #ff8a80; --panel: #1e2128; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
header.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.signout { display: flex; align-items: center; gap: .6rem; margin: 0; }
.who { color: var(--muted); overflow-wrap: anywhere; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--panel); color: var(--fg); cursor: pointer; }
button[type=submit]:hover { border-color: var(--accent); }
input { font: inherit; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); width: 100%; }
section.login { max-width: 24rem; margin: 3rem auto; }
section.login form { display: grid; gap: .5rem; }
section.login button { margin-top: .5rem; }
.banner { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .7rem; }
.error { color: var(--error); }
.muted { color: var(--muted); }
ul.projects { list-style: none; padding: 0; display: grid; gap: 1rem; }
li.project { border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
li.project h2 { margin: 0 0 .2rem; font-size: 1.1rem; }
dl { margin: .4rem 0 0; } dt { color: var(--muted); font-size: .85rem; } dd { margin: 0 0 .4rem; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9em;
  overflow-wrap: anywhere; }
)css";

}  // namespace

std::optional<Asset> FindAsset(std::string_view name) {
  if (name == "ferry.css") return Asset{"text/css; charset=utf-8", kCss};
  return std::nullopt;
}

}  // namespace ferry::web
