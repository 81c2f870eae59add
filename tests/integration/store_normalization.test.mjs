// Event processing at Sentry's level, checked with events from real SDKs: what ferry's JSON API
// answers for them must be what a Sentry server (Relay's normalization + Sentry's event manager)
// would answer: type, title, culprit, metadata, location, derived tags, contexts from the
// User-Agent, user IP inference, timestamp clamping notes, issue userCount and tag search.
//
// Every expectation is written from Sentry's behaviour, with the rule next to it. The sources the
// rules come from:
//   Sentry  src/sentry/event_manager.py      get_culprit, derived tags (level, logger, environment,
//                                              transaction, sentry:release, sentry:dist, sentry:user)
//   Sentry  src/sentry/culprit.py             generate_culprit, get_frame_culprit
//   Sentry  src/sentry/eventtypes/{base,error}.py  title, metadata, location
//   Sentry  src/sentry/interfaces/contexts.py context tags (alias = the key in contexts)
//   Sentry  src/sentry/interfaces/exception.py Mechanism.iter_tags (mechanism, handled)
//   Sentry  src/sentry/models/eventuser.py     user tag: id, username, email, ip_address → "ip:…"
//   Sentry  src/sentry/utils/strings.py        truncatechars: value[:n-3] + "..."
//   Relay   relay-event-normalization: event.rs (IP inference, tags, timestamps), logentry.rs,
//           stacktrace.rs (frame filenames), normalize/user_agent.rs, normalize/contexts.rs,
//           clock_drift.rs; default max_secs_in_past 30 days, max_secs_in_future 60 s.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { access } from 'node:fs/promises';
import {
  Api, entry, makeToken, projectCreateSettled, sendOk, startStore, tempDir, waitFor, writeStoreConfig,
} from './lib/store.mjs';
import { bundleSentryBrowser, launchBrowser } from './lib/browser.mjs';
import {
  PYTHON, SENTRY_CLI, assertFields, assertTags, chromeFromUa, crashFrame, eventAndIssue, runNodeApp,
  runPythonSdk, searchIds, sentryCliSend, sentryCulprit, startStaticServer, tagMap,
} from './lib/sdk_events.mjs';

let tmp;
let ferry;
let cfg;
let api;

before(async () => {
  tmp = await tempDir('ferry-store-normalization-');
  cfg = await writeStoreConfig(tmp.dir);
  ferry = await startStore(tmp.dir);
  api = new Api(ferry.url, await makeToken(cfg));
});

after(async () => {
  try {
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

const now = () => Date.now() / 1000;
const FIREFOX_75_WINDOWS_10 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:75.0) Gecko/20100101 Firefox/75.0';

// The checks every error event gets, on the event and on its issue.
function assertError(event, issue, { title, culprit, metadata, location }) {
  // type: "error" when the event has an exception (Relay's EventType inference).
  assert.equal(event.type, 'error', 'event.type');
  assert.equal(issue.type, 'error', 'issue.type');
  assert.equal(event.title, title, 'event.title');
  assert.equal(issue.title, title, 'issue.title');
  assert.equal(event.culprit, culprit, 'event.culprit');
  assert.equal(issue.culprit, culprit, 'issue.culprit');
  assertFields(event.metadata, metadata, 'event.metadata');
  assertFields(issue.metadata, metadata, 'issue.metadata');
  // ErrorEvent.get_location: metadata.filename.
  assert.equal(event.location, location, 'event.location');
}

// The checks every message event gets.
function assertMessage(event, issue, { title, culprit }) {
  // type: "default" for an event without an exception (and not a csp/transaction/... event).
  assert.equal(event.type, 'default', 'event.type');
  assert.equal(issue.type, 'default', 'issue.type');
  assert.equal(event.title, title, 'event.title');
  assert.equal(issue.title, title, 'issue.title');
  // DefaultEvent metadata is {title}; there is no type/value/filename.
  assertFields(event.metadata, { title, type: undefined, value: undefined, filename: undefined }, 'event.metadata');
  assertFields(issue.metadata, { title, type: undefined }, 'issue.metadata');
  // BaseEvent.get_location: None for message events.
  assert.equal(event.location ?? null, null, 'event.location');
  if (culprit !== undefined) {
    assert.equal(event.culprit, culprit, 'event.culprit');
    assert.equal(issue.culprit, culprit, 'issue.culprit');
  }
}

// ---------------------------------------------------------------------------------------------
describe('python sentry-sdk 1.9.10 (WSGI middleware in-process, capture_exception, logging)', () => {
  let project;
  let out;

  before(async () => {
    await access(PYTHON).catch(() => assert.fail(`${PYTHON} is missing (Debian's python3 with python3-sentry-sdk)`));
    project = await projectCreateSettled(cfg, 'py-norm', 'python');
    out = await runPythonSdk(project.dsn);
  });

  test('WSGI request error: title, culprit from the transaction, crashing in-app frame, request tags, UA contexts', { timeout: 60000 }, async () => {
    const s = out.sent.wsgi;
    // What the SDK sent (preconditions of the expectations below).
    assert.equal(s.transaction, 'generic WSGI request', 'the WSGI middleware names the transaction');
    assert.deepEqual(s.exception.values.at(-1).mechanism, { type: 'wsgi', handled: false });
    assert.equal(s.request.url, 'http://shop.example.com/cart/checkout');
    assert.equal(s.request.query_string, 'coupon=SPRING&step=2');
    assert.equal(s.contexts.browser, undefined, 'the SDK sends no browser context');
    const frames = s.exception.values.at(-1).stacktrace.frames;
    assert.deepEqual(frames.at(-1).function, 'raw_decode', 'the last frame is in json/decoder.py');
    assert.notEqual(frames.at(-1).in_app, true, 'json/decoder.py is not in-app');

    const { event, issue } = await eventAndIssue(api, project.slug, out.ids.wsgi);
    const value = 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)';
    assertError(event, issue, {
      // "<type>: <first line of value>" (value under 100 characters: not cut).
      title: `JSONDecodeError: ${value}`,
      // get_culprit: data.culprit or data.transaction or generate_culprit(...): the transaction
      // the SDK set wins over the frames.
      culprit: 'generic WSGI request',
      // Crash frame: the last in-app frame (shop_app is in in_app_include), not the last frame
      // (json/decoder.py); filename as the frame's filename.
      metadata: { type: 'JSONDecodeError', value, filename: 'shop_app/views.py', function: 'parse_order' },
      location: 'shop_app/views.py',
    });
    assert.equal(sentryCulprit(s), 'generic WSGI request');
    assert.equal(crashFrame(s).function, 'parse_order');

    assertTags(event, {
      level: 'error', // event level
      environment: 'production',
      release: 'pyshop@1.4.2', // sentry:release, shown as "release"
      dist: 'b42', // sentry:dist
      server_name: 'web-7', // Relay moves server_name into the tags
      transaction: 'generic WSGI request',
      url: 'http://shop.example.com/cart/checkout', // request.url without the query string
      handled: 'no', // last exception's mechanism.handled = false
      mechanism: 'wsgi', // its mechanism.type
      user: 'id:u-42', // EventUser.tag_value: the id comes first
      flow: 'checkout', // the SDK's own tag
      runtime: `CPython ${out.python}`, // runtime context: "{name} {version}"
      'runtime.name': 'CPython',
      // Relay parses request.headers User-Agent (uap-core) when the SDK sent no browser context:
      browser: 'Firefox 75.0', // "{name} {version}", version = major.minor
      'browser.name': 'Firefox',
      // The UA's OS goes to contexts.client_os for a non-javascript platform (so that a server
      // SDK's own contexts.os stays); the tags take the context's key.
      'client_os.name': 'Windows',
      // uap-core: "Windows NT 10.0" is Windows 10; current Relay writes ">=10" because the UA
      // freezes Windows at 10 (older Relay: "10").
      client_os: /^Windows (>=)?10$/,
      os: undefined, // no contexts.os at all
      logger: undefined, // not a log record
    }, 'python WSGI event');

    assertFields(event.contexts?.browser, { name: 'Firefox', version: '75.0', type: 'browser' }, 'contexts.browser');
    assertFields(event.contexts?.client_os, { name: 'Windows', version: /^(>=)?10$/, type: 'os' }, 'contexts.client_os');
    assert.equal(event.contexts?.os ?? null, null, 'no contexts.os for a python event');
    assertFields(event.contexts?.runtime, { name: 'CPython', version: out.python }, 'contexts.runtime (as sent)');
    // user as sent: the SDK's own ip_address (from REMOTE_ADDR, send_default_pii) is kept, not
    // replaced by the socket peer.
    assertFields(event.user, { id: 'u-42', email: 'ada@example.com', ip_address: '203.0.113.7' }, 'user');
    assert.equal(issue.userCount, 1, 'issue.userCount');
  });

  test('capture_exception in a pushed scope: "module in function" culprit, boolean tag, no mechanism tags', { timeout: 60000 }, async () => {
    const s = out.sent.divide;
    assert.equal(s.transaction, undefined, 'no transaction outside the WSGI request');
    assert.equal(s.exception.values.at(-1).mechanism ?? null, null, 'capture_exception sends no mechanism');
    assert.equal(s.tags.beta, true, 'the SDK sends the tag as JSON true');

    const { event, issue } = await eventAndIssue(api, project.slug, out.ids.divide);
    assertError(event, issue, {
      title: 'ZeroDivisionError: division by zero',
      // No culprit, no transaction: the last in-app frame, "module in function" for python.
      culprit: 'shop_app.views in divide',
      metadata: { type: 'ZeroDivisionError', value: 'division by zero', filename: 'shop_app/views.py', function: 'divide' },
      location: 'shop_app/views.py',
    });
    assert.equal(sentryCulprit(s), 'shop_app.views in divide');
    assertTags(event, {
      level: 'error',
      environment: 'production',
      release: 'pyshop@1.4.2',
      server_name: 'web-7',
      user: 'username:grace', // no id: the username
      beta: 'True', // Relay's lenient string: a JSON true tag value is "True"
      // Mechanism.iter_tags runs only when the last exception has a mechanism, and "handled"
      // only when mechanism.handled is set: neither tag here.
      handled: undefined,
      mechanism: undefined,
      transaction: undefined,
      url: undefined,
      browser: undefined, // no request, no User-Agent
      client_os: undefined,
      'runtime.name': 'CPython',
    }, 'python divide event');
    assert.equal(event.user?.username, 'grace');
    // Relay infers the client address only for javascript/cocoa/objc (or "{{auto}}").
    assert.ok(!event.user?.ip_address, `no inferred ip_address for a python event: ${JSON.stringify(event.user)}`);
  });

  test('logging.error("Here is a new %s", "error"): default event titled with the formatted message', { timeout: 60000 }, async () => {
    const s = out.sent.logging;
    assert.deepEqual(s.logentry, { message: 'Here is a new %s', params: ['error'] }, 'the SDK sends no formatted text');
    const { event, issue } = await eventAndIssue(api, project.slug, out.ids.logging);
    // Relay formats logentry.message with its params (%s: python-style positional).
    assertMessage(event, issue, {
      title: 'Here is a new error',
      // No culprit, transaction, stack trace or request: empty.
      culprit: '',
    });
    assert.equal(entry(event, 'message')?.data.formatted, 'Here is a new error');
    assertTags(event, {
      level: 'error',
      logger: 'root', // event.logger as a tag
      environment: 'production',
      release: 'pyshop@1.4.2',
      server_name: 'web-7',
      user: undefined, // no user at all
      handled: undefined,
    }, 'python logging event');
  });

  test('search by derived tags in the python project', { timeout: 60000 }, async () => {
    const { issue: wsgi } = await eventAndIssue(api, project.slug, out.ids.wsgi);
    const { issue: divide } = await eventAndIssue(api, project.slug, out.ids.divide);
    const { issue: logging } = await eventAndIssue(api, project.slug, out.ids.logging);
    assert.deepEqual(await searchIds(api, project.slug, 'browser.name:Firefox'), [wsgi.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'handled:no'), [wsgi.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'logger:root'), [logging.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'beta:True'), [divide.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'environment:production'),
      [wsgi.id, divide.id, logging.id].sort());
    const listed = await api.issues(project.slug, 'browser.name:Firefox');
    assert.equal(listed[0].culprit, 'generic WSGI request', 'issue list: culprit');
    assert.equal(listed[0].type, 'error', 'issue list: type');
    assert.equal(listed[0].userCount, 1, 'issue list: userCount');
  });
});

// ---------------------------------------------------------------------------------------------
describe('@sentry/node (a throw-away app: src/checkout.mjs, src/ledger.mjs)', () => {
  let project;
  let run;
  let dir;

  const files = {
    'src/checkout.mjs': `export function placeOrder(items) {
  if (items.length === 0) throw new RangeError('cannot place an empty order');
  return items.length;
}
`,
    'src/ledger.mjs': `export function reconcileLedger(entries) {
  const total = entries.reduce((a, b) => a + b, 0);
  if (total !== 0) throw new Error(\`ledger out of balance by \${total} cents\`);
  return total;
}
`,
    'main.mjs': `import { writeSync } from 'node:fs';
import * as Sentry from '@sentry/node';
import { placeOrder } from './src/checkout.mjs';
import { reconcileLedger } from './src/ledger.mjs';

const emit = (line) => writeSync(1, JSON.stringify(line) + '\\n');
Sentry.init({
  dsn: process.argv[2],
  release: 'shop-api@7.1.0',
  environment: 'production',
  dist: 'x64-7',
  serverName: 'api-3',
  sendClientReports: false,
  // Dedupe drops an exception identical to the previous one (same frames) whoever the user is.
  integrations: (defaults) => defaults.filter((i) => i.name !== 'Dedupe'),
  beforeSend(event) {
    emit({ kind: 'sent', event });
    return event;
  },
});

for (const id of ['a', 'b', 'a']) {
  Sentry.withScope((scope) => {
    scope.setUser({ id });
    try {
      placeOrder([]);
    } catch (e) {
      Sentry.captureException(e);
    }
  });
}
emit({ kind: 'flushed', ok: await Sentry.flush(10000) });
// Uncaught: the onUncaughtException integration reports it (handled: false) and exits 1.
setTimeout(() => reconcileLedger([5, -2]), 0);
`,
  };

  before(async () => {
    project = await projectCreateSettled(cfg, 'node-norm', 'node');
    dir = path.join(tmp.dir, 'node-app');
    run = await runNodeApp(dir, files, project.dsn);
    assert.ok(run.lines.some((l) => l.kind === 'flushed' && l.ok), `Sentry.flush failed: ${run.stderr}`);
    assert.equal(run.code, 1, `the uncaught error ends the app with 1: ${run.stderr}`);
    assert.equal(run.sent.length, 4, `the SDK sent ${run.sent.length} events: ${run.stderr}`);
  });

  test('captureException: title, "function(module)" culprit, metadata of the crashing frame, tags', { timeout: 60000 }, async () => {
    const s = run.sent[0];
    const top = s.exception.values.at(-1).stacktrace.frames.at(-1);
    // @sentry/node sends a module for each frame ("src:checkout": path below the app's
    // directory, ":" before the file name) and an absolute filename.
    assert.equal(top.module, 'src:checkout');
    assert.equal(top.filename, path.join(dir, 'src/checkout.mjs'));
    assert.equal(top.in_app, true);
    const mech = s.exception.values.at(-1).mechanism;
    assert.deepEqual(mech, { type: 'generic', handled: true }, 'captureException mechanism');

    const { event, issue } = await eventAndIssue(api, project.slug, s.event_id);
    assertError(event, issue, {
      title: 'RangeError: cannot place an empty order',
      // get_frame_culprit for node: "function(module or filename)": the module comes first.
      culprit: 'placeOrder(src:checkout)',
      metadata: {
        type: 'RangeError', value: 'cannot place an empty order',
        filename: path.join(dir, 'src/checkout.mjs'), function: 'placeOrder',
      },
      location: path.join(dir, 'src/checkout.mjs'),
    });
    assert.equal(sentryCulprit(s), 'placeOrder(src:checkout)');
    assertTags(event, {
      level: 'error',
      environment: 'production',
      release: 'shop-api@7.1.0',
      dist: 'x64-7',
      server_name: 'api-3',
      handled: 'yes',
      mechanism: 'generic',
      user: 'id:a',
      runtime: `node ${process.version}`, // contexts.runtime {name: "node", version: process.version}
      'runtime.name': 'node',
      // contexts.os as the SDK sent it: on Linux @sentry/node names the distribution it finds in
      // /etc ("Debian" here, from /etc/debian_version), else "Linux".
      'os.name': s.contexts.os.name,
      client_os: undefined, // no request headers: nothing parsed from a User-Agent
      browser: undefined,
      url: undefined,
      transaction: undefined,
    }, 'node captureException event');
    assert.match(s.contexts.os.name, /^(Linux|Debian|Ubuntu Linux|Fedora|Alpine Linux|Red Hat Linux|Centos|SUSE Linux|Arch Linux|Gentoo Linux)$/);
    assertFields(event.contexts?.os, { name: s.contexts.os.name }, 'contexts.os (kept as sent)');
    assert.ok(!event.user?.ip_address, `node events get no inferred ip: ${JSON.stringify(event.user)}`);
  });

  test('the same error with users a, b, a: one issue, count 3, userCount 2', { timeout: 60000 }, async () => {
    const ids = run.sent.slice(0, 3).map((e) => e.event_id);
    assert.deepEqual(run.sent.slice(0, 3).map((e) => e.user?.id), ['a', 'b', 'a']);
    const got = [];
    for (const id of ids) got.push(await eventAndIssue(api, project.slug, id));
    assert.equal(new Set(got.map((g) => g.event.groupID)).size, 1, 'one issue for the three events');
    assert.deepEqual(got.map((g) => tagMap(g.event).get('user')), ['id:a', 'id:b', 'id:a']);
    const issue = await api.get(`/api/0/issues/${got[0].event.groupID}/`);
    assert.equal(issue.count, '3');
    // userCount: distinct values of the user tag among the issue's events.
    assert.equal(issue.userCount, 2, 'issue.userCount');
    const listed = (await api.issues(project.slug, 'user:id:b'));
    assert.deepEqual(listed.map((i) => i.id), [issue.id], 'search user:id:b');
    assert.equal(listed[0].userCount, 2, 'issue list: userCount');
  });

  test('uncaught exception: handled "no", mechanism of the SDK, level fatal', { timeout: 60000 }, async () => {
    const s = run.sent[3];
    const mech = s.exception.values.at(-1).mechanism;
    assert.equal(mech.handled, false);
    assert.match(mech.type, /onuncaughtexception$/);
    const { event, issue } = await eventAndIssue(api, project.slug, s.event_id);
    assertError(event, issue, {
      title: 'Error: ledger out of balance by 3 cents',
      culprit: 'reconcileLedger(src:ledger)',
      metadata: {
        type: 'Error', value: 'ledger out of balance by 3 cents',
        filename: path.join(dir, 'src/ledger.mjs'), function: 'reconcileLedger',
      },
      location: path.join(dir, 'src/ledger.mjs'),
    });
    assertTags(event, {
      handled: 'no',
      mechanism: mech.type, // "auto.node.onuncaughtexception" with @sentry/node 11
      level: s.level, // the integration reports uncaught errors as "fatal"
      user: undefined, // the app set users only in the loop's scopes
    }, 'node uncaught event');
    assert.equal(s.level, 'fatal');

    const { issue: order } = await eventAndIssue(api, project.slug, run.sent[0].event_id);
    assert.deepEqual(await searchIds(api, project.slug, 'handled:no'), [issue.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'handled:yes'), [order.id]);
    assert.deepEqual(await searchIds(api, project.slug, `mechanism:${mech.type}`), [issue.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'environment:production'), [order.id, issue.id].sort());
    assert.equal(issue.userCount, 0, 'no user on the uncaught event');
  });
});

// ---------------------------------------------------------------------------------------------
describe('@sentry/browser in headless Chromium (uncaught error in /dist/app.js)', () => {
  let project;
  let site;
  let browser;
  let got; // { sent: [events], ua, href }

  const APP_JS = `function renderCart(cart) {
  return cart.items.length;
}
function startApp() {
  return renderCart(undefined);
}
startApp();
`;

  before(async () => {
    project = await projectCreateSettled(cfg, 'web-norm', 'javascript');
    const page = (dsn) => `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<link rel="icon" href="data:,">
<script src="/sentry.js"></script>
<script>
window.__sent = [];
Sentry.init({
  dsn: ${JSON.stringify(dsn)},
  release: 'web@2.3.4',
  environment: 'production',
  sendClientReports: false,
  beforeSend(event) {
    window.__sent.push(JSON.parse(JSON.stringify(event)));
    return event;
  },
});
</script>
<script src="/dist/app.js"></script>
</head><body>shop</body></html>`;
    site = await startStaticServer({
      '/sentry.js': { type: 'text/javascript', body: await bundleSentryBrowser() },
      '/dist/app.js': { type: 'text/javascript', body: APP_JS },
      '/shop': { type: 'text/html; charset=utf-8', body: page(project.dsn) },
    });
    browser = await launchBrowser();
    const p = await browser.context.newPage();
    const posts = [];
    p.on('response', (r) => {
      if (r.url().startsWith(ferry.url)) posts.push(r.status());
    });
    try {
      await p.goto(`${site.origin}/shop?step=2&ref=mail`, { timeout: 15000 });
      await p.waitForFunction(() => window.__sent.length >= 1, null, { timeout: 15000 });
      got = await p.evaluate(async () => ({
        flushed: await Sentry.flush(10000),
        sent: window.__sent,
        ua: navigator.userAgent,
        href: location.href,
      }));
      assert.ok(got.flushed, 'Sentry.flush timed out in the page');
      assert.equal(got.sent.length, 1, `the page sent ${got.sent.length} events`);
      await waitFor(() => posts.length >= 1, { timeoutMs: 10000, what: 'the SDK\'s POST to ferry' });
      assert.ok(posts.every((s) => s === 200), `ferry answered ${posts.join(',')}`);
    } finally {
      await p.close();
    }
  });

  after(async () => {
    await browser?.close();
    await site?.close();
  });

  test('browser/os contexts from the User-Agent, inferred client IP, URL-path culprit, onerror tags', { timeout: 60000 }, async () => {
    const s = got.sent[0];
    const exc = s.exception.values.at(-1);
    const top = exc.stacktrace.frames.at(-1);
    // What @sentry/browser sends: the full URL as filename, no module, no abs_path; no user; no
    // browser/os contexts; the UA in request.headers; mechanism handled false.
    assert.equal(top.function, 'renderCart');
    assert.equal(top.filename, `${site.origin}/dist/app.js`);
    assert.equal(top.module, undefined);
    assert.equal(top.abs_path, undefined);
    assert.equal(s.platform, 'javascript');
    assert.equal(s.contexts?.browser, undefined);
    assert.equal(s.contexts?.os, undefined);
    assert.equal(s.user?.ip_address, undefined);
    assert.equal(s.request.headers['User-Agent'], got.ua);
    assert.equal(s.request.url, got.href);
    assert.equal(exc.mechanism.handled, false);
    assert.match(exc.mechanism.type, /onerror$/);
    assert.equal(s.transaction, undefined);

    const { event, issue } = await eventAndIssue(api, project.slug, s.event_id);
    assertError(event, issue, {
      title: `TypeError: ${exc.value}`,
      // Relay (stacktrace.rs): abs_path ← the URL, filename ← its path "/dist/app.js"; no module,
      // so get_frame_culprit gives "renderCart(/dist/app.js)" (scheme, host and port gone).
      // Note: sentry.io also runs JavaScript processing (symbolicator-js), which would generate a
      // module "dist/app" from the URL for a frame without one (-> "renderCart(dist/app)"); the
      // contract here is Relay's normalization without source-map processing.
      culprit: 'renderCart(/dist/app.js)',
      // The crashing frame with Relay's filename.
      metadata: { type: 'TypeError', value: exc.value, filename: '/dist/app.js', function: 'renderCart' },
      location: '/dist/app.js',
    });
    assert.match(exc.value, /items/);
    assert.equal(sentryCulprit(s), 'renderCart(/dist/app.js)');

    const { name, version } = chromeFromUa(got.ua);
    assertTags(event, {
      level: 'error',
      environment: 'production',
      release: 'web@2.3.4',
      handled: 'no',
      mechanism: exc.mechanism.type, // "auto.browser.global_handlers.onerror" with SDK 11
      // javascript without user.ip_address: Relay fills in the client address (the socket peer).
      user: 'ip:127.0.0.1',
      // uap-core on the real navigator.userAgent: "HeadlessChrome" for the headless shell's UA.
      browser: `${name} ${version}`,
      'browser.name': name,
      // platform javascript: the UA's OS goes to contexts.os. "X11; Linux x86_64" has no
      // version: Relay's computed os is the name alone.
      'os.name': 'Linux',
      os: 'Linux',
      client_os: undefined,
      // request.url without its query string (Relay moves it to request.query_string).
      url: `${site.origin}/shop`,
    }, 'browser event');
    assertFields(event.contexts?.browser, { name, version, type: 'browser' }, 'contexts.browser');
    assertFields(event.contexts?.os, { name: 'Linux', type: 'os' }, 'contexts.os');
    assert.equal(event.contexts?.client_os ?? null, null, 'no contexts.client_os for javascript');
    assert.equal(event.user?.ip_address, '127.0.0.1', 'user.ip_address inferred');
    assert.equal(issue.userCount, 1, 'userCount (the ip user)');
    assert.deepEqual(await searchIds(api, project.slug, `browser.name:${name}`), [issue.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'handled:no'), [issue.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'user:ip:127.0.0.1'), [issue.id]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('sentry-cli send-event', () => {
  test('a message event: type default, title = message, metadata {title}, aliased runtime context, {{auto}} ip', { timeout: 60000 }, async () => {
    await access(SENTRY_CLI).catch(() => assert.fail(`${SENTRY_CLI} is missing: run npm ci at the source root`));
    const project = await projectCreateSettled(cfg, 'cli-norm');
    const id = await sentryCliSend(project.dsn,
      ['-m', 'nightly backup failed', '-r', 'cli@1.0.0', '-E', 'production', '--no-environ'], tmp.dir);
    const { event, issue } = await eventAndIssue(api, project.slug, id);
    // sentry-cli 3.8 sends logentry.message only, platform native, user {username, ip_address:
    // "{{auto}}"}, server_name = host name, contexts os (uname), device {arch} and its Rust
    // runtime under the key "rust" (type runtime).
    assertMessage(event, issue, { title: 'nightly backup failed', culprit: '' });
    assertTags(event, {
      level: 'error',
      release: 'cli@1.0.0',
      environment: 'production',
      server_name: os.hostname(),
      // The user has a username: "username:…" (the ip is only the last resort).
      user: `username:${os.userInfo().username}`,
      // A context stored under another key than its type: the tags take the key.
      rust: /^rustc \d+\.\d+\.\d+/,
      'rust.name': 'rustc',
      runtime: undefined,
      'os.name': 'Linux',
      os: new RegExp(`^Linux ${os.release().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      // device context without model/family: no device tags.
      device: undefined,
      'device.family': undefined,
    }, 'sentry-cli event');
    // "{{auto}}" becomes the client address.
    assert.equal(event.user?.ip_address, '127.0.0.1');
    assert.equal(event.user?.username, os.userInfo().username);
    assert.equal(issue.userCount, 1);
  });
});

// ---------------------------------------------------------------------------------------------
describe('hand-written events (envelope endpoint)', () => {
  let project;

  before(async () => {
    project = await projectCreateSettled(cfg, 'hand-norm');
  });

  async function store(ev) {
    const id = await sendOk(ferry.url, project.dsn, { timestamp: now(), level: 'error', ...ev });
    return eventAndIssue(api, project.slug, id);
  }

  function exc(type, value, frames, extra = {}) {
    return { exception: { values: [{ type, value, ...(frames ? { stacktrace: { frames } } : {}), ...extra }] } };
  }

  function assertReceivedNow(event, issue, what) {
    for (const [k, v] of [['event.dateCreated', event.dateCreated], ['event.dateReceived', event.dateReceived],
      ['issue.firstSeen', issue.firstSeen], ['issue.lastSeen', issue.lastSeen]]) {
      const t = Date.parse(v);
      assert.ok(Math.abs(t - Date.now()) < 120000, `${what}: ${k} ${v} is not the received time`);
    }
  }

  test('a timestamp 40 days old: stored at received time, errors[] has past_timestamp', { timeout: 60000 }, async () => {
    const { event, issue } = await store({ platform: 'other', message: 'forty days late', timestamp: now() - 40 * 86400 });
    // Relay: older than max_secs_in_past (30 days) → clock-drift correction to the received time
    // and a "past_timestamp" error on "timestamp" (EventError shape: type, message, data.name).
    assertReceivedNow(event, issue, 'past timestamp');
    const e = (event.errors || []).find((x) => x.type === 'past_timestamp');
    assert.ok(e, `no past_timestamp note: ${JSON.stringify(event.errors)}`);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    assert.equal(e.data?.name, 'timestamp');
  });

  test('a timestamp 10 minutes ahead: stored at received time, errors[] has future_timestamp', { timeout: 60000 }, async () => {
    const { event, issue } = await store({ platform: 'other', message: 'ten minutes early', timestamp: now() + 600 });
    // Relay: more than max_secs_in_future (60 s) ahead → same correction, "future_timestamp".
    assertReceivedNow(event, issue, 'future timestamp');
    const e = (event.errors || []).find((x) => x.type === 'future_timestamp');
    assert.ok(e, `no future_timestamp note: ${JSON.stringify(event.errors)}`);
    assert.equal(typeof e.message, 'string');
    assert.equal(e.data?.name, 'timestamp');
  });

  test('a timestamp 20 seconds old is kept, with no notes', { timeout: 60000 }, async () => {
    const ts = now() - 20;
    const { event } = await store({ platform: 'other', message: 'on time', timestamp: ts });
    assert.ok(Math.abs(Date.parse(event.dateCreated) - ts * 1000) < 1500, `dateCreated ${event.dateCreated}`);
    assert.deepEqual(event.errors, []);
  });

  test('user IP: "{{auto}}", request.env.REMOTE_ADDR, cocoa inference, none for other platforms', { timeout: 60000 }, async () => {
    // "{{auto}}" → the client address, whatever the platform.
    const a = await store({ platform: 'python', message: 'auto ip', user: { ip_address: '{{auto}}' } });
    assert.equal(a.event.user?.ip_address, '127.0.0.1');
    assertTags(a.event, { user: 'ip:127.0.0.1' }, 'auto ip'); // only an ip: "ip:…"
    // request.env.REMOTE_ADDR fills a missing user.ip_address.
    const b = await store({
      platform: 'python', message: 'remote addr', user: { email: 'lin@example.com' },
      request: { url: 'https://shop.example.com/', env: { REMOTE_ADDR: '198.51.100.4' } },
    });
    assert.equal(b.event.user?.ip_address, '198.51.100.4');
    assert.equal(b.event.user?.email, 'lin@example.com');
    assertTags(b.event, { user: 'email:lin@example.com' }, 'remote addr'); // email before ip
    // cocoa (like javascript and objc) without an ip: the client address.
    const c = await store({ platform: 'cocoa', message: 'cocoa ip', user: { id: 'dev-1' } });
    assert.equal(c.event.user?.ip_address, '127.0.0.1');
    assertTags(c.event, { user: 'id:dev-1' }, 'cocoa'); // id first
    // Any other platform: no inference.
    const d = await store({ platform: 'other', message: 'no ip' });
    assert.ok(!d.event.user?.ip_address, `no ip for platform other: ${JSON.stringify(d.event.user)}`);
    assertTags(d.event, { user: undefined }, 'no user');
    // Precedence: id, then username, then email, then ip.
    const e = await store({
      platform: 'other', message: 'user precedence',
      user: { username: 'kim', email: 'kim@example.com', ip_address: '192.0.2.1' },
    });
    assertTags(e.event, { user: 'username:kim' }, 'username before email');
  });

  test('tag values: JSON true/false/number become "True"/"False"/"42"', { timeout: 60000 }, async () => {
    const { event } = await store({
      platform: 'other', message: 'typed tags',
      tags: { 'feature.beta': true, 'feature.legacy': false, shard: 42 },
    });
    assertTags(event, { 'feature.beta': 'True', 'feature.legacy': 'False', shard: '42' }, 'typed tags');
    const { issue } = await store({ platform: 'other', message: 'typed tags' });
    assert.deepEqual(await searchIds(api, project.slug, 'feature.beta:True'), [issue.id]);
  });

  test('titles: value cut to 97 characters + "...", first line only, type alone without value', { timeout: 60000 }, async () => {
    const value = 'the payment provider rejected the request because the card number, expiry date or CVC '
      + 'did not match the records held by the issuing bank for this acct';
    assert.equal(value.length, 150);
    const long = await store({ platform: 'python', ...exc('ValueError', value) });
    // truncatechars(value.splitlines()[0], 100): 97 characters and "...".
    assert.equal(long.event.title, `ValueError: ${value.slice(0, 97)}...`);
    assert.equal(long.issue.title, `ValueError: ${value.slice(0, 97)}...`);
    // metadata.value is the value (trimmed only at 1024).
    assertFields(long.event.metadata, { type: 'ValueError', value }, 'metadata of the long value');

    const lines = await store({ platform: 'python', ...exc('KeyError', 'first line\nsecond line') });
    assert.equal(lines.event.title, 'KeyError: first line');
    assertFields(lines.event.metadata, { type: 'KeyError', value: 'first line\nsecond line' }, 'metadata');

    const bare = await store({ platform: 'python', ...exc('SystemExit', '') });
    assert.equal(bare.event.title, 'SystemExit');

    // Message events: the same cut, on the formatted message.
    const msg = `${value}\nand a second line`;
    const m = await store({ platform: 'other', logentry: { formatted: msg } });
    assertMessage(m.event, m.issue, { title: `${value.slice(0, 97)}...` });
    assert.equal(m.event.metadata.title, `${value.slice(0, 97)}...`);
  });

  test('message params: "%s" with a list and "{foo}" with an object both give "Here is a new error"', { timeout: 60000 }, async () => {
    // Relay's logentry normalization: '%' → python-style formatting (positional from a list),
    // '{' → curly formatting (names from an object).
    const a = await store({ platform: 'other', logentry: { message: 'Here is a new %s', params: ['error'] } });
    assertMessage(a.event, a.issue, { title: 'Here is a new error' });
    assert.equal(entry(a.event, 'message')?.data.formatted, 'Here is a new error');
    const b = await store({ platform: 'other', logentry: { message: 'Here is a new {foo}', params: { foo: 'error' } } });
    assertMessage(b.event, b.issue, { title: 'Here is a new error' });
    assert.equal(entry(b.event, 'message')?.data.formatted, 'Here is a new error');
    // The legacy top-level string message is the formatted text.
    const c = await store({ platform: 'other', message: 'Plain message\nwith a second line' });
    assertMessage(c.event, c.issue, { title: 'Plain message' });
  });

  test('culprit: own culprit, then transaction, then the last in-app frame, then the last frame, then the request URL', { timeout: 60000 }, async () => {
    const frames = [
      { module: 'app.main', filename: 'app/main.py', function: 'main', in_app: true, lineno: 3 },
      { module: 'app.helpers', filename: 'app/helpers.py', function: 'helper', in_app: true, lineno: 8 },
      { module: 'requests.api', filename: 'requests/api.py', function: 'get', in_app: false, lineno: 70 },
    ];
    // The SDK's own culprit wins.
    const own = await store({ platform: 'python', culprit: 'billing.tasks.retry', transaction: '/checkout', ...exc('IOError', 'own', frames) });
    assert.equal(own.event.culprit, 'billing.tasks.retry');
    assert.equal(own.issue.culprit, 'billing.tasks.retry');
    // Then the transaction (and it is a tag).
    const tx = await store({ platform: 'python', transaction: '/checkout', ...exc('IOError', 'tx', frames) });
    assert.equal(tx.event.culprit, '/checkout');
    assertTags(tx.event, { transaction: '/checkout' }, 'transaction');
    // Then the last in-app frame ("module in function"), and the metadata uses the same frame.
    const app = await store({ platform: 'python', ...exc('IOError', 'frames', frames) });
    assertError(app.event, app.issue, {
      title: 'IOError: frames',
      culprit: 'app.helpers in helper',
      metadata: { type: 'IOError', value: 'frames', filename: 'app/helpers.py', function: 'helper' },
      location: 'app/helpers.py',
    });
    // No in-app frame: the last frame; node → "function(module or filename)".
    const lib = await store({
      platform: 'node',
      ...exc('Error', 'in a library', [
        { filename: '/srv/app/node_modules/pg/lib/client.js', function: 'Client.query', in_app: false, lineno: 5 },
        { filename: '/srv/app/node_modules/pg/lib/result.js', function: 'parseRow', in_app: false, lineno: 9 },
      ]),
    });
    assertError(lib.event, lib.issue, {
      title: 'Error: in a library',
      culprit: 'parseRow(/srv/app/node_modules/pg/lib/result.js)',
      metadata: { type: 'Error', value: 'in a library', filename: '/srv/app/node_modules/pg/lib/result.js', function: 'parseRow' },
      location: '/srv/app/node_modules/pg/lib/result.js',
    });
    // native: the function alone.
    const native = await store({
      platform: 'native',
      ...exc('EXC_BAD_ACCESS', 'crash', [
        { function: 'main', filename: 'main.c', in_app: true, instruction_addr: '0x1000' },
        { function: 'crash_now', filename: 'crash.c', in_app: true, instruction_addr: '0x1100' },
      ]),
    });
    assert.equal(native.event.culprit, 'crash_now');
    // javascript frames with only a URL abs_path: Relay derives filename = the URL's path (the
    // query string is not part of the path). The last frame has no function: the culprit says
    // "?", while the metadata's crash frame must have a function (get_crash_location's filter).
    const js = await store({
      platform: 'javascript',
      ...exc('TypeError', 'x is undefined', [
        { abs_path: 'https://cdn.example.com/dist/vendor.js', function: 'dispatch', in_app: true, lineno: 1, colno: 10 },
        { abs_path: 'https://cdn.example.com/dist/bundle.js?v=3', in_app: true, lineno: 1, colno: 99 },
      ]),
    });
    assertError(js.event, js.issue, {
      title: 'TypeError: x is undefined',
      culprit: '?(/dist/bundle.js)',
      metadata: { type: 'TypeError', value: 'x is undefined', filename: '/dist/vendor.js', function: 'dispatch' },
      location: '/dist/vendor.js',
    });
    // No stack trace at all: the request URL (after Relay moved the query and fragment out).
    const url = await store({ platform: 'other', message: 'payment page slow', request: { url: 'https://shop.example.com/pay?card=1#top' } });
    // (Relay normalize/request.rs normalize_url: query → request.query_string, fragment →
    // request.fragment, url keeps scheme, host and path; Sentry's generate_culprit then reads
    // request.url.)
    assert.equal(url.event.culprit, 'https://shop.example.com/pay');
    assert.equal(url.issue.culprit, 'https://shop.example.com/pay');
    assertTags(url.event, { url: 'https://shop.example.com/pay' }, 'url tag');
    assert.equal(entry(url.event, 'request')?.data?.url, 'https://shop.example.com/pay', 'request entry url');
  });

  test('derived tags: level, environment, release, dist, logger, server_name, site, transaction, url, mechanism of the last exception', { timeout: 60000 }, async () => {
    const { event } = await store({
      platform: 'python', level: 'warning', environment: 'staging', release: 'pay@3.0.1', dist: 'd1',
      logger: 'payments.gateway', server_name: 'pay-1', site: 'eu-west', transaction: '/pay',
      request: { url: 'https://pay.example.com/pay?amount=5', method: 'POST' },
      exception: { values: [
        { type: 'TimeoutError', value: 'gateway slow', mechanism: { type: 'chained', handled: true } },
        { type: 'PaymentError', value: 'gateway failed', mechanism: { type: 'celery', handled: false } },
      ] },
    });
    assert.equal(event.title, 'PaymentError: gateway failed', 'the last exception names the event');
    assertTags(event, {
      level: 'warning',
      environment: 'staging',
      release: 'pay@3.0.1',
      dist: 'd1',
      logger: 'payments.gateway',
      server_name: 'pay-1',
      site: 'eu-west',
      transaction: '/pay',
      url: 'https://pay.example.com/pay',
      handled: 'no', // values[-1].mechanism
      mechanism: 'celery',
    }, 'derived tags');
  });

  test('context tags: browser, os, runtime, device; an aliased context uses its key', { timeout: 60000 }, async () => {
    const { event } = await store({
      platform: 'python', message: 'contexts',
      contexts: {
        browser: { name: 'Chrome', version: '120.0.1' },
        os: { name: 'Linux', version: '6.1' },
        runtime: { name: 'CPython', version: '3.12.1' },
        device: { model: 'Pixel 7', family: 'Pixel' },
        'server-os': { type: 'os', name: 'Ubuntu', version: '22.04' },
      },
    });
    assertTags(event, {
      browser: 'Chrome 120.0.1', // "{name} {version}"
      'browser.name': 'Chrome',
      os: 'Linux 6.1',
      'os.name': 'Linux',
      runtime: 'CPython 3.12.1',
      'runtime.name': 'CPython',
      device: 'Pixel 7', // device: "{model}"
      'device.family': 'Pixel',
      'server-os': 'Ubuntu 22.04', // the type is os, the key names the tags
      'server-os.name': 'Ubuntu',
    }, 'context tags');
    assertFields(event.contexts?.['server-os'], { type: 'os', name: 'Ubuntu', version: '22.04' }, 'contexts.server-os');
  });

  test('User-Agent contexts: the SDK\'s own browser/os win; a server platform keeps its os and gets client_os', { timeout: 60000 }, async () => {
    const js = await store({
      platform: 'javascript', message: 'own browser context',
      contexts: { browser: { name: 'Firefox', version: '120.0' } },
      request: { url: 'https://web.example.com/', headers: { 'User-Agent': FIREFOX_75_WINDOWS_10 } },
    });
    // contexts.browser was sent: Relay does not replace it; contexts.os was not: from the UA.
    assertFields(js.event.contexts?.browser, { name: 'Firefox', version: '120.0' }, 'contexts.browser kept');
    assertFields(js.event.contexts?.os, { name: 'Windows', type: 'os' }, 'contexts.os from the UA');
    assertTags(js.event, { browser: 'Firefox 120.0', 'os.name': 'Windows', client_os: undefined }, 'javascript UA');

    const srv = await store({
      platform: 'node', message: 'server os context',
      contexts: { os: { name: 'Linux', version: '6.1' } },
      request: { url: 'https://api.example.com/', headers: [['User-Agent', FIREFOX_75_WINDOWS_10]] },
    });
    assertFields(srv.event.contexts?.os, { name: 'Linux', version: '6.1' }, 'contexts.os kept');
    assertFields(srv.event.contexts?.client_os, { name: 'Windows', type: 'os' }, 'contexts.client_os');
    assertFields(srv.event.contexts?.browser, { name: 'Firefox', version: '75.0', type: 'browser' }, 'contexts.browser');
    assertTags(srv.event, {
      os: 'Linux 6.1', 'os.name': 'Linux', 'client_os.name': 'Windows', 'browser.name': 'Firefox',
    }, 'server UA');
  });
});

// ---------------------------------------------------------------------------------------------
describe('issue search by derived tags and userCount', () => {
  test('handled:no, browser.name:Firefox, environment:production and a custom tag find exactly the issues with such an event', { timeout: 60000 }, async () => {
    const project = await projectCreateSettled(cfg, 'search-lab');
    const send = (ev) => sendOk(ferry.url, project.dsn, { timestamp: now(), level: 'error', platform: 'python', ...ev });
    const issueOf = async (id) => (await eventAndIssue(api, project.slug, id)).issue;

    // S1: unhandled, production, from Firefox (UA in the request headers).
    const s1 = await issueOf(await send({
      fingerprint: ['s1'], environment: 'production', user: { id: 'u1' },
      request: { url: 'https://shop.example.com/', headers: { 'User-Agent': FIREFOX_75_WINDOWS_10 } },
      exception: { values: [{ type: 'KeyError', value: 'cart', mechanism: { type: 'wsgi', handled: false } }] },
    }));
    // S2: handled, staging, no user.
    const s2 = await issueOf(await send({
      fingerprint: ['s2'], environment: 'staging',
      exception: { values: [{ type: 'KeyError', value: 'basket', mechanism: { type: 'generic', handled: true } }] },
    }));
    // S3: a production message.
    const s3 = await issueOf(await send({ fingerprint: ['s3'], environment: 'production', message: 'quota low' }));
    // S4: two events in one issue; only the second is production and has color:blue; the same
    // user twice, by id, and once more by email.
    const s4a = await send({ fingerprint: ['s4'], environment: 'staging', message: 'sync lag', user: { id: 'u9' } });
    const s4b = await send({ fingerprint: ['s4'], environment: 'production', message: 'sync lag', tags: { color: 'blue' }, user: { id: 'u9' } });
    const s4c = await send({ fingerprint: ['s4'], environment: 'staging', message: 'sync lag', user: { email: 'u9@example.com' } });
    const s4 = await issueOf(s4a);
    assert.equal((await issueOf(s4b)).id, s4.id);
    assert.equal((await issueOf(s4c)).id, s4.id);

    assert.deepEqual(await searchIds(api, project.slug, 'handled:no'), [s1.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'handled:yes'), [s2.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'browser.name:Firefox'), [s1.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'environment:production'), [s1.id, s3.id, s4.id].sort());
    assert.deepEqual(await searchIds(api, project.slug, 'environment:staging'), [s2.id, s4.id].sort());
    assert.deepEqual(await searchIds(api, project.slug, 'color:blue'), [s4.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'mechanism:wsgi'), [s1.id]);

    // userCount: distinct user tag values ("id:u9", "email:u9@example.com"), events without a
    // user do not count.
    const i4 = await api.get(`/api/0/issues/${s4.id}/`);
    assert.equal(i4.count, '3');
    assert.equal(i4.userCount, 2, 's4 userCount');
    assert.equal((await api.get(`/api/0/issues/${s1.id}/`)).userCount, 1, 's1 userCount');
    assert.equal((await api.get(`/api/0/issues/${s2.id}/`)).userCount, 0, 's2 userCount');
    const listed = await api.issues(project.slug, 'color:blue');
    assert.equal(listed[0].userCount, 2, 'issue list userCount');

    // Negation, the user.* keys, several filters at once, quoted values.
    assert.deepEqual(await searchIds(api, project.slug, '!handled:no'), [s2.id, s3.id, s4.id].sort());
    assert.deepEqual(await searchIds(api, project.slug, 'user.id:u1'), [s1.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'user.email:u9@example.com'), [s4.id]);
    assert.deepEqual(await searchIds(api, project.slug, 'environment:production !color:blue'), [s1.id, s3.id].sort());
    assert.deepEqual(await searchIds(api, project.slug, 'environment:"production" level:error handled:no'), [s1.id]);
    // sort=user: the issue with the most distinct users first.
    const byUsers = await api.issues(project.slug, '', '&sort=user');
    assert.equal(byUsers[0].id, s4.id);
    assert.ok(byUsers.every((x, i) => i === 0 || byUsers[i - 1].userCount >= x.userCount));
  });

  test('search keys that are not tags, bad keys and too many filters are 400 with a reason', { timeout: 30000 }, async () => {
    const project = await projectCreateSettled(cfg, 'search-errors');
    const path = (q, extra = '') =>
      `/api/0/projects/ferry/${project.slug}/issues/?query=${encodeURIComponent(q)}${extra}`;
    for (const [q, detail] of [
      ['assigned:me', /unsupported search key "assigned"/],
      ['has:user', /unsupported search key "has"/],
      ['bad key!:x', /invalid search key|unsupported/],
      ['is:maybe', /unknown status/],
      [Array.from({ length: 21 }, (_, i) => `k${i}:v`).join(' '), /more than 20 tag filters/],
    ]) {
      const res = await api.call('GET', path(q));
      assert.equal(res.status, 400, `${q}: ${res.status} ${res.text}`);
      assert.match(res.json.detail, detail, q);
    }
    const sort = await api.call('GET', path('', '&sort=sideways'));
    assert.equal(sort.status, 400);
    assert.match(sort.json.detail, /unknown sort "sideways"/);
  });
});
