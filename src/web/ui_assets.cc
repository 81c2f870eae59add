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
<nav><a href="/">Projects</a> <a href="/issues/">Issues</a> <a href="/settings/projects/">Settings</a></nav>
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
<h2><a href="/projects/{{slug}}/issues/">{{name}}</a></h2>
<p class="muted">{{slug}} · {{platform}}</p>
<dl class="nums">
<div><dt>Open issues</dt><dd><a href="/projects/{{slug}}/issues/">{{open}}</a></dd></div>
<div><dt>Events, 24 h</dt><dd>{{events_24h}}</dd></div>
<div><dt>Events, 14 days</dt><dd>{{events_14d}} {{{spark}}}</dd></div>
</dl>
<dl>
{{#keys}}<dt>DSN{{^enabled}} (disabled){{/enabled}}</dt><dd><code>{{dsn}}</code></dd>{{/keys}}
</dl>
</li>
{{/projects}}
</ul>
)html";

const std::string_view kIssueListTemplate = R"html(<h1>{{heading}}</h1>
<form method="get" action="{{base}}" class="search" role="search">
<label for="query">Search</label>
<input id="query" name="query" type="search" value="{{query}}" placeholder="is:unresolved level:error release:1.2 text">
<label for="environment">Environment</label>
<input id="environment" name="environment" value="{{environment}}">
<label for="sort">Sort by</label>
<select id="sort" name="sort">{{#sorts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/sorts}}</select>
<button type="submit">Search</button>
</form>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
{{^error}}
<form method="post" action="/issues/bulk" class="bulk">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="back" value="{{back}}">
<div class="actions">
<button type="submit" name="status" value="resolved">Resolve</button>
<button type="submit" name="status" value="ignored">Ignore</button>
<button type="submit" name="status" value="unresolved">Unresolve</button>
</div>
{{^issues}}<p class="muted">No issue matches.</p>{{/issues}}
{{#issues}}
<article class="issue level-{{level}}">
<input type="checkbox" name="issue" value="{{id}}" id="issue-{{id}}" aria-label="Select {{title}}">
<div class="what">
<a class="title" href="/issues/{{id}}/">{{title}}</a>
<div class="muted">{{#project}}{{project}} · {{/project}}{{culprit}}</div>
</div>
<dl class="nums">
<div><dt>Level</dt><dd>{{level}}</dd></div>
<div><dt>Events</dt><dd>{{count}}</dd></div>
<div><dt>Users</dt><dd>{{users}}</dd></div>
<div><dt>First seen</dt><dd title="{{first_seen.iso}}">{{first_seen.ago}}</dd></div>
<div><dt>Last seen</dt><dd title="{{last_seen.iso}}">{{last_seen.ago}}</dd></div>
<div><dt>Status</dt><dd>{{status}}</dd></div>
<div><dt>14 days</dt><dd>{{{spark}}}</dd></div>
</dl>
</article>
{{/issues}}
</form>
<nav class="pages">{{#newer}}<a href="{{newer}}">Newer</a>{{/newer}} {{#older}}<a href="{{older}}">Older</a>{{/older}}</nav>
{{/error}}
)html";

const std::string_view kIssueTemplate = R"html(<article class="issue-page level-{{level}}">
<h1>{{title}}</h1>
<p class="muted">{{#project}}<a href="/projects/{{project}}/issues/">{{project}}</a> · {{/project}}{{culprit}}</p>
<dl class="nums">
<div><dt>Level</dt><dd>{{level}}</dd></div>
<div><dt>Status</dt><dd>{{status}}</dd></div>
<div><dt>Events</dt><dd>{{count}}</dd></div>
<div><dt>Users</dt><dd>{{users}}</dd></div>
<div><dt>First seen</dt><dd title="{{first_seen.iso}}">{{first_seen.ago}}</dd></div>
<div><dt>Last seen</dt><dd title="{{last_seen.iso}}">{{last_seen.ago}}</dd></div>
{{#first_release}}<div><dt>First release</dt><dd>{{first_release}}</dd></div>{{/first_release}}
{{#last_release}}<div><dt>Last release</dt><dd>{{last_release}}</dd></div>{{/last_release}}
<div><dt>14 days</dt><dd>{{{spark}}}</dd></div>
</dl>
<form method="post" action="/issues/{{id}}/status" class="actions">
<input type="hidden" name="csrf" value="{{csrf}}">
{{^resolved}}<button type="submit" name="status" value="resolved">Resolve</button>{{/resolved}}
{{^ignored}}<button type="submit" name="status" value="ignored">Ignore</button>{{/ignored}}
{{^unresolved}}<button type="submit" name="status" value="unresolved">Unresolve</button>{{/unresolved}}
</form>
{{#has_tag_keys}}<h2>Tags</h2>{{/has_tag_keys}}
<div class="tag-keys">
{{#tag_keys}}
<section class="tag-key"><h3>{{key}}</h3>
<ul>{{#values}}<li><span class="tv">{{value}}</span> <span class="muted">{{pct}}% · {{count}}</span></li>{{/values}}</ul>
</section>
{{/tag_keys}}
</div>
{{#event}}
<h2>Event {{position}} of {{total}}</h2>
<nav class="events" aria-label="Events">{{#latest_link}}<a href="{{latest_link}}">Latest</a> <a href="{{newer_link}}">Newer</a>{{/latest_link}} {{#older_link}}<a href="{{older_link}}">Older</a> <a href="{{oldest_link}}">Oldest</a>{{/older_link}} <a href="{{events_link}}">All events</a>{{#json_link}} <a href="{{json_link}}">Raw JSON</a>{{/json_link}}</nav>
<p class="muted"><code>{{event_id}}</code> · <span title="received {{received}}">{{timestamp}}</span>{{#release}} · release {{release}}{{/release}}{{#environment}} · {{environment}}{{/environment}}</p>
{{#message}}<h3>Message</h3><pre class="message">{{message}}</pre>{{/message}}
{{#exceptions}}
<section class="exception">
<h3>{{type}}</h3>
<p class="exc-value">{{value}}</p>
{{#mechanism}}<p class="muted">mechanism: {{mechanism}}</p>{{/mechanism}}
<ol class="frames">
{{#frames}}
{{#in_app}}<li class="frame app">{{> frame}}</li>{{/in_app}}
{{^in_app}}<li class="frame system"><details><summary>{{> frame_head}}</summary>{{> frame_body}}</details></li>{{/in_app}}
{{/frames}}
</ol>
</section>
{{/exceptions}}
{{#has_thread_frames}}<h3>Stack trace</h3>{{/has_thread_frames}}
<ol class="frames">
{{#thread_frames}}
{{#in_app}}<li class="frame app">{{> frame}}</li>{{/in_app}}
{{^in_app}}<li class="frame system"><details><summary>{{> frame_head}}</summary>{{> frame_body}}</details></li>{{/in_app}}
{{/thread_frames}}
</ol>
{{#has_breadcrumbs}}<h3>Breadcrumbs</h3>{{/has_breadcrumbs}}
{{#has_breadcrumbs}}<table class="crumbs"><thead><tr><th>Time</th><th>Category</th><th>Level</th><th>Message</th></tr></thead><tbody>{{/has_breadcrumbs}}
{{#breadcrumbs}}<tr><td title="{{iso}}">{{time}}</td><td>{{category}}</td><td>{{level}}</td><td>{{message}}{{#data}}<pre class="data">{{data}}</pre>{{/data}}</td></tr>{{/breadcrumbs}}
{{#has_breadcrumbs}}</tbody></table>{{/has_breadcrumbs}}
{{#request}}<h3>Request</h3>
<dl class="kv">{{#method}}<dt>Method</dt><dd>{{method}}</dd>{{/method}}<dt>URL</dt><dd><code>{{url}}</code></dd>{{#query}}<dt>Query</dt><dd><code>{{query}}</code></dd>{{/query}}
{{#headers}}<dt>{{key}}</dt><dd><code>{{value}}</code></dd>{{/headers}}</dl>
{{/request}}
{{#has_user}}<h3>User</h3><dl class="kv">{{/has_user}}{{#user}}<dt>{{key}}</dt><dd>{{value}}</dd>{{/user}}{{#has_user}}</dl>{{/has_user}}
{{#has_contexts}}<h3>Contexts</h3>{{/has_contexts}}
{{#contexts}}<section class="context"><h4>{{name}}</h4><dl class="kv">{{#rows}}<dt>{{key}}</dt><dd>{{value}}</dd>{{/rows}}</dl></section>{{/contexts}}
{{#has_tags}}<h3>Event tags</h3><dl class="kv">{{/has_tags}}{{#tags}}<dt>{{key}}</dt><dd>{{value}}</dd>{{/tags}}{{#has_tags}}</dl>{{/has_tags}}
{{#has_extra}}<h3>Extra</h3><dl class="kv">{{/has_extra}}{{#extra}}<dt>{{key}}</dt><dd><code>{{value}}</code></dd>{{/extra}}{{#has_extra}}</dl>{{/has_extra}}
{{#sdk}}<p class="muted">SDK: {{sdk}}</p>{{/sdk}}
{{/event}}
</article>
)html";

const std::string_view kFrameHeadPartial =
    R"html(<span class="fn">{{function}}</span> <span class="file">{{file}}</span>{{#line}}<span class="line">:{{line}}</span>{{/line}}{{#module}} <span class="muted">({{module}})</span>{{/module}})html";

const std::string_view kFrameBodyPartial =
    R"html({{#has_context}}<ol class="context">{{#context}}<li{{#crash}} class="crash" aria-current="true"{{/crash}}><span class="n">{{n}}</span><span>{{text}}</span></li>{{/context}}</ol>{{/has_context}}{{#has_vars}}<dl class="kv vars">{{#vars}}<dt>{{name}}</dt><dd><code>{{value}}</code></dd>{{/vars}}</dl>{{/has_vars}})html";

const std::string_view kFramePartial =
    R"html(<div class="frame-head"><span class="fn">{{function}}</span> <span class="file">{{file}}</span>{{#line}}<span class="line">:{{line}}</span>{{/line}}{{#module}} <span class="muted">({{module}})</span>{{/module}}</div>{{#has_context}}<ol class="context">{{#context}}<li{{#crash}} class="crash" aria-current="true"{{/crash}}><span class="n">{{n}}</span><span>{{text}}</span></li>{{/context}}</ol>{{/has_context}}{{#has_vars}}<dl class="kv vars">{{#vars}}<dt>{{name}}</dt><dd><code>{{value}}</code></dd>{{/vars}}</dl>{{/has_vars}})html";

const std::string_view kEventListTemplate =
    R"html(<h1>Events of <a href="{{issue_link}}">{{title}}</a></h1>
<table class="crumbs events"><thead><tr><th>Event</th><th>When</th><th>Message</th><th>Release</th><th>Environment</th></tr></thead><tbody>
{{#events}}<tr><td><a href="{{link}}"><code>{{event_id}}</code></a></td><td title="{{time.iso}}">{{time.ago}}</td><td>{{message}}</td><td>{{release}}</td><td>{{environment}}</td></tr>{{/events}}
</tbody></table>
<nav class="pages">{{#newer}}<a href="{{newer}}">Newer</a>{{/newer}} {{#older}}<a href="{{older}}">Older</a>{{/older}}</nav>
)html";

const std::string_view kProjectSettingsTemplate = R"html(<h1>Project settings</h1>
{{#created}}<p class="banner" role="status">Project {{created}} created. Point an SDK at its DSN below.</p>{{/created}}
{{#projects}}
<section class="project-settings{{#current}} current{{/current}}" id="project-{{slug}}">
<h2><a href="/settings/projects/{{slug}}/">{{name}}</a></h2>
<p class="muted">{{slug}} · {{platform}} · <a href="/projects/{{slug}}/issues/">issues</a></p>
{{#keys}}
<dl class="kv"><dt>DSN{{^enabled}} (disabled){{/enabled}}</dt><dd><code class="dsn">{{dsn}}</code></dd></dl>
<pre class="snippet">{{snippet}}</pre>
{{/keys}}
</section>
{{/projects}}
{{#superuser}}
<h2>Create a project</h2>
<form method="post" action="/settings/projects/" class="create">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="name">Name</label>
<input id="name" name="name" required maxlength="200">
<label for="platform">Platform</label>
<input id="platform" name="platform" placeholder="javascript, python, node, ..." maxlength="64">
<button type="submit">Create project</button>
</form>
{{/superuser}}
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
header.top nav { margin-right: auto; display: flex; gap: 1rem; }
form.search { display: grid; grid-template-columns: auto 1fr; gap: .4rem .6rem; align-items: center;
  margin-bottom: 1rem; }
form.search button { grid-column: 2; justify-self: start; }
select { font: inherit; padding: .4rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); }
.actions { display: flex; gap: .5rem; margin: .6rem 0; flex-wrap: wrap; }
article.issue { display: grid; grid-template-columns: auto 1fr; gap: .3rem .8rem;
  border-top: 1px solid var(--line); padding: .6rem 0; }
article.issue input[type=checkbox] { width: auto; margin-top: .3rem; }
article.issue dl.nums { grid-column: 2; }
.title { font-weight: 600; overflow-wrap: anywhere; }
dl.nums { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; margin: .2rem 0; }
dl.nums div { display: flex; flex-direction: column; }
svg.spark { vertical-align: middle; fill: var(--accent); }
svg.spark .zero { fill: var(--line); }
.level-error .title, .level-fatal .title { color: var(--error); }
nav.pages, nav.events { display: flex; flex-wrap: wrap; gap: 1rem; margin: .6rem 0; }
.issue-page h1 { overflow-wrap: anywhere; }
.tag-keys { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .8rem; }
.tag-key h3 { font-size: .95rem; margin: 0 0 .2rem; }
.tag-key ul { list-style: none; padding: 0; margin: 0; }
.tv { overflow-wrap: anywhere; }
ol.frames { list-style: none; padding: 0; margin: .4rem 0; border: 1px solid var(--line);
  border-radius: 6px; }
li.frame { border-top: 1px solid var(--line); padding: .4rem .6rem; }
li.frame:first-child { border-top: 0; }
li.frame.app { background: var(--panel); }
li.frame.system { color: var(--muted); }
.fn { font-weight: 600; }
.file { overflow-wrap: anywhere; }
pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .85em;
  overflow-x: auto; margin: .3rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
ol.context { list-style: none; padding: 0; margin: .3rem 0; font-family: ui-monospace, Menlo,
  Consolas, monospace; font-size: .85em; }
ol.context li { display: grid; grid-template-columns: 4em 1fr; white-space: pre-wrap; }
ol.context li .n { color: var(--muted); text-align: right; padding-right: .6em; }
ol.context li.crash { background: color-mix(in srgb, var(--error) 18%, transparent); }
table.crumbs { width: 100%; border-collapse: collapse; font-size: .9rem; }
table.crumbs td, table.crumbs th { border-top: 1px solid var(--line); padding: .3rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
dl.kv { display: grid; grid-template-columns: minmax(6rem, max-content) 1fr; gap: .2rem .8rem; }
dl.kv dt { color: var(--muted); overflow-wrap: anywhere; } dl.kv dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 40rem) { form.search { grid-template-columns: 1fr; } form.search button { grid-column: 1; } }
section.project-settings { border-top: 1px solid var(--line); padding: .4rem 0; }
form.create { display: grid; gap: .4rem; max-width: 28rem; }
form.create button { justify-self: start; }
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
