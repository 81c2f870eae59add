// Old raven clients, still shipped inside apps, report to the legacy endpoint
// POST /api/<id>/store/ of the built-in store: raven-ruby 3.1.2 (Debian's ruby-sentry-raven),
// raven-go 0.2.0 (Debian's golang-github-getsentry-raven-go-dev, built offline here) and
// raven-node 2.6.4 (npm). They post base64 of zlib-deflated JSON as application/octet-stream,
// without a Content-Encoding, and their DSNs carry a secret (ferry ignores it).
//
// Each client runs a small app that captures the same exception twice (from the same code)
// and one message, synchronously, and exits non-zero when any send failed. It runs once
// against a recording server (to pin down what it really puts on the wire) and once against
// ferry: the events must be stored, titled as Sentry titles them, and the two exceptions must
// make one issue with two events.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  Api, REPO_ROOT, entry, makeToken, projectCreateSettled, startStore, tempDir, waitFor,
  writeStoreConfig,
} from './lib/store.mjs';
import { request } from './lib/envelope.mjs';

const RUBY = '/usr/bin/ruby';
const GO = '/usr/bin/go';
const GOPATH = '/usr/share/gocode';
const RAVEN_GO = path.join(GOPATH, 'src/github.com/getsentry/raven-go');
const RAVEN_NODE_VERSION = '2.6.4';
const CLIENT_TIMEOUT_MS = 30000;

// Old DSNs have a secret ("http://public:secret@host/id"); ferry's keys may have none.
const FAKE_SECRET = '0123456789abcdef0123456789abcdef';
// What the apps are pointed at for the wire-format checks: a recording server on 127.0.0.1.
const WIRE_KEY = 'feedfacefeedfacefeedfacefeedface';
const WIRE_PROJECT = '42';

let tmp;
let ferry;
let cfg;
let api;
let recorder;

before(async () => {
  tmp = await tempDir('ferry-store-legacy-');
  cfg = await writeStoreConfig(tmp.dir);
  ferry = await startStore(tmp.dir);
  api = new Api(ferry.url, await makeToken(cfg));
  recorder = await startStoreRecorder();
});

after(async () => {
  try {
    await recorder?.close();
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// The apps. Each prints one JSON line {"exception": [id, id], "message": id, "answers":
// [{status, body}], "failures": [...]} and exits 1 unless every send got a 2xx.

const RUBY_APP = String.raw`# frozen_string_literal: true
require 'json'
require 'logger'
require 'faraday'
require 'raven'

dsn = ARGV.fetch(0)
answers = []
failures = []

# Keeps every answer the transport gets: raven's raise_error middleware turns a 4xx/5xx into
# an exception that keeps only the status line, and raven itself only logs a warning.
class RecordAnswers < Faraday::Middleware
  def initialize(app, answers)
    super(app)
    @answers = answers
  end

  def call(env)
    @app.call(env).on_complete { |e| @answers << { 'status' => e.status, 'body' => e.body.to_s } }
  rescue Faraday::Error => e
    r = e.response || {}
    @answers << { 'status' => r[:status], 'body' => r[:body].to_s, 'error' => e.message }
    raise
  end
end

Raven.configure do |config|
  config.server = dsn
  config.async = false
  config.logger = Logger.new($stderr)
  config.release = 'rubyapp@1.4.0'
  config.current_environment = 'legacytest'
  config.timeout = 10
  config.open_timeout = 5
  config.send_modules = false
  config.faraday_builder = ->(builder) { builder.use RecordAnswers, answers }
  config.transport_failure_callback = lambda { |event, error|
    why = error ? "#{error.class}: #{error.message}" : 'not sent after a previous failure'
    failures << "#{event[:event_id] || event['event_id']}: #{why}"
  }
end

module Billing
  def self.divide(total, parts)
    total / parts
  end

  def self.charge(cents)
    divide(cents, 0)
  end
end

out = { 'exception' => [] }
2.times do
  begin
    Billing.charge(250)
  rescue ZeroDivisionError => e
    evt = Raven.capture_exception(e)
    out['exception'] << (evt ? evt.id : nil)
  end
end
evt = Raven.capture_message('ruby says hello', level: 'warning')
out['message'] = evt ? evt.id : nil
out['answers'] = answers
out['failures'] = failures
puts JSON.generate(out)
ok = failures.empty? && answers.size == 3 && answers.all? { |a| a['status'].is_a?(Integer) && a['status'].between?(200, 299) }
exit(ok ? 0 : 1)
`;

const GO_APP = String.raw`package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"time"

	raven "github.com/getsentry/raven-go"
	"github.com/pkg/errors"
)

// DeclinedError keeps the stack where it was made; raven-go reports that stack for errors
// with github.com/pkg/errors' StackTrace method.
type DeclinedError struct {
	Cents int
	stack []uintptr
}

func (e *DeclinedError) Error() string { return fmt.Sprintf("card declined for %d cents", e.Cents) }

func (e *DeclinedError) StackTrace() errors.StackTrace {
	st := make(errors.StackTrace, len(e.stack))
	for i, pc := range e.stack {
		st[i] = errors.Frame(pc)
	}
	return st
}

func validate(cents int) error {
	if cents > 100 {
		pcs := make([]uintptr, 32)
		n := runtime.Callers(1, pcs)
		return &DeclinedError{Cents: cents, stack: pcs[:n]}
	}
	return nil
}

func charge(cents int) error { return validate(cents) }

type answer struct {
	Status int    ` + '`json:"status"`' + String.raw`
	Body   string ` + '`json:"body"`' + String.raw`
}

// recorder keeps the status and body of every answer raven-go's HTTP transport gets.
type recorder struct{ answers []answer }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		r.answers = append(r.answers, answer{Status: 0, Body: err.Error()})
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	r.answers = append(r.answers, answer{Status: res.StatusCode, Body: string(body)})
	return res, nil
}

// loud keeps the transport's errors: Capture*AndWait waits for the send but drops its error.
type loud struct {
	inner    raven.Transport
	failures []string
}

func (l *loud) Send(url, authHeader string, packet *raven.Packet) error {
	err := l.inner.Send(url, authHeader, packet)
	if err != nil {
		l.failures = append(l.failures, packet.EventID+": "+err.Error())
	}
	return err
}

func main() {
	client, err := raven.New(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "raven.New:", err)
		os.Exit(2)
	}
	rec := &recorder{}
	tr := &loud{inner: &raven.HTTPTransport{Client: &http.Client{Transport: rec, Timeout: 10 * time.Second}}}
	client.Transport = tr
	client.SetRelease("goapp@0.2.0")
	client.SetEnvironment("legacytest")

	exc := []string{}
	for i := 0; i < 2; i++ {
		if err := charge(250); err != nil {
			exc = append(exc, client.CaptureErrorAndWait(err, nil))
		}
	}
	msg := client.CaptureMessageAndWait("go says hello", nil)

	out, _ := json.Marshal(map[string]interface{}{
		"exception": exc, "message": msg, "answers": rec.answers, "failures": tr.failures,
	})
	fmt.Println(string(out))
	ok := len(tr.failures) == 0 && len(rec.answers) == 3
	for _, a := range rec.answers {
		ok = ok && a.Status >= 200 && a.Status < 300
	}
	if !ok {
		os.Exit(1)
	}
}
`;

const NODE_APP = String.raw`'use strict';
const http = require('http');
const Raven = require(process.env.RAVEN_MODULE);

const dsn = process.argv[2];
const answers = [];
const ended = [];
const failures = [];

// raven's own HTTP transport, with node:http wrapped only to keep the answers it got.
const transport = new Raven.transports.HTTPTransport();
transport.transport = {
  request(options, callback) {
    return http.request(options, (res) => {
      const a = { status: res.statusCode, body: '' };
      answers.push(a);
      res.on('data', (c) => { a.body += c; });
      ended.push(new Promise((resolve) => res.on('end', resolve)));
      callback(res);
    });
  },
};

Raven.config(dsn, {
  transport,
  sendTimeout: 10,
  autoBreadcrumbs: false,
  captureUnhandledRejections: false,
  release: 'nodeapp@2.6.4',
  environment: 'legacytest',
});

function chargeCard(cents) {
  if (cents > 100) throw new RangeError('card declined for ' + cents + ' cents');
  return cents;
}

function sent(capture) {
  return new Promise((resolve) => {
    const id = capture((err) => {
      if (err) failures.push(id + ': ' + err.message);
      resolve(id);
    });
  });
}

async function main() {
  // Both errors come from the same stack (a capture after an await would not).
  const errors = [];
  for (let i = 0; i < 2; i++) {
    try {
      chargeCard(250);
    } catch (e) {
      errors.push(e);
    }
  }
  const out = { exception: [] };
  for (const e of errors) out.exception.push(await sent((cb) => Raven.captureException(e, {}, cb)));
  out.message = await sent((cb) => Raven.captureMessage('node says hello', { level: 'warning' }, cb));
  await Promise.all(ended);
  out.answers = answers;
  out.failures = failures;
  process.stdout.write(JSON.stringify(out) + '\n');
  const ok = failures.length === 0 && answers.length === 3 && answers.every((a) => a.status >= 200 && a.status < 300);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(2);
});
`;

// ---------------------------------------------------------------------------------------------
// Helpers.

function execFileP(file, args, opts) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, ...opts }, (error, stdout, stderr) => {
      resolve({ error, code: error ? (error.code ?? null) : 0, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

// The DSN an old app would have: the given one, with a secret when it has none.
function withSecret(dsn) {
  const u = new URL(dsn);
  if (!u.password) u.password = FAKE_SECRET;
  return u.toString().replace(/\/$/, '');
}

// Runs one app (≤ CLIENT_TIMEOUT_MS) and returns its JSON line. Any failed send fails the test
// with what the app saw (status and body of every answer) and what it logged.
async function runApp(what, file, args, { cwd, env = process.env } = {}) {
  const r = await execFileP(file, args, { cwd, env, timeout: CLIENT_TIMEOUT_MS, killSignal: 'SIGKILL' });
  const last = r.stdout.trim().split('\n').at(-1) || '';
  let out;
  try {
    out = JSON.parse(last);
  } catch {
    out = null;
  }
  if (r.code !== 0 || !out) {
    const answers = out ? out.answers.map((a) => `${a.status} ${a.body}`).join('\n    ') : '(none printed)';
    assert.fail(`${what}: the app failed (exit ${r.code}, signal ${r.signal}).\n` +
      `  answers:\n    ${answers}\n  failures: ${JSON.stringify(out?.failures ?? null)}\n` +
      `  stderr:\n${r.stderr.trim().split('\n').slice(-25).join('\n')}`);
  }
  assert.equal(out.exception.length, 2, `${what}: two exceptions captured: ${last}`);
  for (const id of [...out.exception, out.message]) assert.match(String(id), /^[0-9a-f]{32}$/, `${what}: event id`);
  assert.notEqual(out.exception[0], out.exception[1], `${what}: two different events`);
  assert.equal(out.answers.length, 3, `${what}: one request per event: ${last}`);
  return out;
}

// A server that answers every POST 200 {"id": <event_id>} like Sentry did and keeps the
// requests as they came (headers and raw body).
async function startStoreRecorder() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      let id = null;
      try {
        id = decodeStoreBody(req.headers['content-type'], body).event.event_id;
      } catch {
        // not decodable: the test says so
      }
      const answer = Buffer.from(JSON.stringify(id ? { id } : {}));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    requests,
    dsn: `http://${WIRE_KEY}:${FAKE_SECRET}@127.0.0.1:${port}/${WIRE_PROJECT}`,
    clear: () => { requests.length = 0; },
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}

// A /store/ body → { encoding: 'base64+zlib' | 'json', json, event }. base64+zlib is checked
// strictly: only base64 characters, and a zlib stream (RFC 1950 header), not raw deflate.
function decodeStoreBody(contentType, body) {
  if (/^application\/octet-stream\b/i.test(contentType || '')) {
    const text = body.toString('latin1');
    assert.match(text, /^[A-Za-z0-9+/]+={0,2}$/, `body is not plain base64: ${text.slice(0, 80)}`);
    const raw = Buffer.from(text, 'base64');
    assert.equal(raw[0] & 0x0f, 8, 'zlib header: deflate method');
    assert.equal(((raw[0] << 8) | raw[1]) % 31, 0, 'zlib header check bits');
    const json = zlib.inflateSync(raw).toString('utf8');
    return { encoding: 'base64+zlib', json, event: JSON.parse(json) };
  }
  assert.match(contentType || '', /^application\/json\b/i, `content-type ${contentType}`);
  const json = body.toString('utf8');
  return { encoding: 'json', json, event: JSON.parse(json) };
}

// "Sentry k=v, k=v" → { k: v }.
function parseAuth(header) {
  assert.match(header || '', /^Sentry /, `X-Sentry-Auth: ${header}`);
  const out = {};
  for (const part of header.slice(7).split(',')) {
    const m = /^\s*([\w.]+)=(.*?)\s*$/.exec(part);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// The requests the recorder got from one app run: one per event, to the legacy endpoint, with
// the old auth fields; exceptions as base64+zlib. Returns a summary for the test's output.
function checkWire(what, out, { version, client, platform, excType, messageEncoding }) {
  const reqs = recorder.requests;
  assert.equal(reqs.length, 3, `${what}: ${reqs.length} requests`);
  const byId = new Map();
  const summary = [];
  for (const r of reqs) {
    assert.equal(r.method, 'POST');
    assert.equal(r.url, `/api/${WIRE_PROJECT}/store/`, `${what}: path`);
    assert.equal(r.headers['content-encoding'], undefined, `${what}: no Content-Encoding`);
    const auth = parseAuth(r.headers['x-sentry-auth']);
    assert.equal(auth.sentry_version, version, `${what}: sentry_version`);
    assert.equal(auth.sentry_key, WIRE_KEY, `${what}: sentry_key`);
    assert.equal(auth.sentry_secret, FAKE_SECRET, `${what}: sentry_secret (the DSN's secret)`);
    assert.match(auth.sentry_client || r.headers['user-agent'] || '', client, `${what}: client`);
    const d = decodeStoreBody(r.headers['content-type'], r.body);
    const id = String(d.event.event_id).replace(/-/g, '');
    byId.set(id, { r, d });
    summary.push({
      path: r.url,
      contentType: r.headers['content-type'],
      contentEncoding: r.headers['content-encoding'] ?? null,
      userAgent: r.headers['user-agent'] ?? null,
      auth: r.headers['x-sentry-auth'].replace(FAKE_SECRET, '<secret>'),
      encoding: d.encoding,
      bytes: r.body.length,
      jsonBytes: Buffer.byteLength(d.json),
      head: r.body.subarray(0, 24).toString('latin1'),
      kind: d.event.exception ? 'exception' : 'message',
    });
  }
  for (const id of out.exception) {
    const got = byId.get(id);
    assert.ok(got, `${what}: no request with event ${id}`);
    assert.equal(got.r.headers['content-type'], 'application/octet-stream', `${what}: exception content-type`);
    assert.equal(got.d.encoding, 'base64+zlib');
    assert.equal(got.d.event.platform, platform);
    // {values: [...]}, a list (raven-node) or one exception object (raven-go).
    const e = got.d.event.exception;
    const values = Array.isArray(e) ? e : (e.values ?? [e]);
    assert.equal(values.at(-1).type, excType, `${what}: exception type on the wire`);
    assert.ok(values.at(-1).stacktrace?.frames?.length >= 2, `${what}: frames on the wire`);
  }
  const msg = byId.get(out.message);
  assert.ok(msg, `${what}: no request with event ${out.message}`);
  assert.equal(msg.d.encoding, messageEncoding(msg.d.json), `${what}: message encoding`);
  for (const [i, a] of out.answers.entries()) assert.equal(a.status, 200, `${what}: answer ${i}`);
  return summary;
}

// Waits until the event is stored, then returns { event, issue } from the API.
async function fetchEvent(slug, id) {
  const res = await waitFor(async () => {
    const r = await api.event(slug, id);
    return r.status === 200 ? r : null;
  }, { timeoutMs: 10000, what: `event ${id} in project ${slug}` });
  const event = res.json;
  assert.equal(event.eventID, id);
  const issue = await api.get(`/api/0/issues/${event.groupID}/`);
  return { event, issue };
}

// Checks what ferry stored from one app run: the answers named the events; two issues in the
// project: the exception (two events, one issue) and the message.
async function checkStored(slug, out, { platform, excTitle, fns, msgTitle, msgLevel, release }) {
  for (const [i, id] of [...out.exception, out.message].entries()) {
    let answer;
    try {
      answer = JSON.parse(out.answers[i].body);
    } catch {
      answer = null;
    }
    assert.equal(answer?.id, id, `ferry's answer ${i} names the event: ${out.answers[i].body}`);
  }

  const [first, second] = await Promise.all(out.exception.map((id) => fetchEvent(slug, id)));
  assert.equal(first.event.groupID, second.event.groupID, 'the same exception twice makes one issue');
  const issue = second.issue;
  assert.equal(issue.title, excTitle);
  assert.equal(issue.level, 'error');
  assert.equal(issue.platform, platform);
  assert.equal(issue.status, 'unresolved');
  assert.equal(issue.count, '2', 'two events in the exception issue');
  assert.equal(first.event.release, release);
  assert.equal(first.event.environment, 'legacytest');

  const latest = await api.latest(issue.id);
  assert.equal(latest.eventID, out.exception[1], 'the latest event is the second exception');
  const exc = entry(latest, 'exception');
  assert.ok(exc, `no exception entry: ${JSON.stringify(latest.entries)}`);
  const frames = exc.data.values.at(-1).stacktrace?.frames || [];
  assert.ok(frames.length >= 2, `frames: ${JSON.stringify(frames)}`);
  const names = frames.map((f) => f.function);
  const at = fns.map((fn) => names.lastIndexOf(fn));
  assert.ok(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > at[k - 1]),
    `frames (oldest first) have ${fns.join(' → ')}: ${names.join(' → ')}`);
  const raising = frames[at.at(-1)];
  assert.equal(raising.inApp, true, 'the app\'s frames are in-app');
  assert.equal(typeof raising.lineNo, 'number');
  assert.ok(typeof raising.filename === 'string' && raising.filename.length > 0);

  const m = await fetchEvent(slug, out.message);
  assert.equal(m.issue.title, msgTitle);
  assert.equal(m.issue.level, msgLevel);
  assert.equal(m.issue.platform, platform);
  const msg = entry(m.event, 'message');
  assert.ok(msg, `no message entry: ${JSON.stringify(m.event.entries)}`);
  assert.equal(msg.data.formatted, msgTitle);

  const issues = await api.issues(slug, '');
  assert.deepEqual(issues.map((i) => i.id).sort(), [issue.id, m.issue.id].sort(),
    `the project has the exception issue and the message issue: ${JSON.stringify(issues.map((i) => i.title))}`);
  const listed = issues.find((i) => i.id === issue.id);
  assert.equal(listed.count, '2');
}

// ---------------------------------------------------------------------------------------------

describe('raven-ruby 3.1.2 (Debian ruby-sentry-raven)', () => {
  let dir;
  let script;

  before(async () => {
    await access(RUBY).catch(() => assert.fail(`${RUBY} is missing (apt-get install ruby ruby-sentry-raven)`));
    const v = await execFileP(RUBY, ['-e', 'require "raven"; print Raven::VERSION'], { timeout: CLIENT_TIMEOUT_MS });
    assert.equal(v.code, 0, `raven is not loadable with ${RUBY} (apt-get install ruby-sentry-raven): ${v.stderr}`);
    assert.equal(v.stdout, '3.1.2', 'the test targets raven-ruby 3.1.2 (Debian 12)');
    dir = path.join(tmp.dir, 'ruby-app');
    await mkdir(dir, { recursive: true });
    script = path.join(dir, 'app.rb');
    await writeFile(script, RUBY_APP);
  });

  // cwd = the app's dir: raven marks frames under the project root (the cwd) in-app.
  const run = (what, dsn) => runApp(what, RUBY, [script, dsn],
    { cwd: dir, env: { ...process.env, SENTRY_DSN: '', RACK_ENV: '', RAILS_ENV: '' } });

  test('posts base64 of zlib-deflated JSON to /store/', { timeout: 60000 }, async (t) => {
    recorder.clear();
    const out = await run('raven-ruby → recorder', recorder.dsn);
    const wire = checkWire('raven-ruby', out, {
      version: '5', client: /^raven-ruby\/3\.1\.2$/, platform: 'ruby', excType: 'ZeroDivisionError',
      messageEncoding: () => 'base64+zlib',
    });
    t.diagnostic(`raven-ruby wire: ${JSON.stringify(wire)}`);
  });

  test('stored: exception grouped into one issue, and a message', { timeout: 60000 }, async () => {
    const project = await projectCreateSettled(cfg, 'ruby-legacy', 'ruby');
    const out = await run('raven-ruby → ferry', withSecret(project.dsn));
    await checkStored(project.slug, out, {
      platform: 'ruby',
      excTitle: 'ZeroDivisionError: divided by 0',
      fns: ['charge', 'divide'],
      msgTitle: 'ruby says hello',
      msgLevel: 'warning',
      release: 'rubyapp@1.4.0',
    });
  });
});

describe('raven-go 0.2.0 (Debian golang-github-getsentry-raven-go-dev)', () => {
  let dir;
  let bin;

  before(async () => {
    await access(GO).catch(() => assert.fail(`${GO} is missing (apt-get install golang-go)`));
    await access(RAVEN_GO).catch(() =>
      assert.fail(`${RAVEN_GO} is missing (apt-get install golang-github-getsentry-raven-go-dev)`));
    dir = path.join(tmp.dir, 'go-app');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'main.go'), GO_APP);
    bin = path.join(dir, 'goapp');
    // Offline, GOPATH mode, against Debian's sources only; the build cache lives in the temp dir.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GO|CGO_)/.test(k)));
    Object.assign(env, {
      GOPATH, GO111MODULE: 'off', GOPROXY: 'off', GOENV: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0',
      GOCACHE: path.join(dir, 'gocache'), HOME: dir,
    });
    const r = await execFileP(GO, ['build', '-o', bin, 'main.go'], { cwd: dir, env, timeout: CLIENT_TIMEOUT_MS });
    assert.equal(r.code, 0, `go build of the raven-go app failed (exit ${r.code}, signal ${r.signal}):\n${r.stderr}`);
  });

  const run = (what, dsn) => runApp(what, bin, [dsn], { cwd: dir });

  test('posts base64 of zlib-deflated JSON to /store/ (JSON when under 1000 bytes)', { timeout: 60000 }, async (t) => {
    recorder.clear();
    const out = await run('raven-go → recorder', recorder.dsn);
    const wire = checkWire('raven-go', out, {
      version: '4', client: /^raven-go\//, platform: 'go', excType: '*main.DeclinedError',
      // raven-go deflates only packets over 1000 bytes of JSON.
      messageEncoding: (json) => (Buffer.byteLength(json) > 1000 ? 'base64+zlib' : 'json'),
    });
    t.diagnostic(`raven-go wire: ${JSON.stringify(wire)}`);
  });

  test('stored: exception grouped into one issue, and a message', { timeout: 60000 }, async () => {
    const project = await projectCreateSettled(cfg, 'go-legacy', 'go');
    const out = await run('raven-go → ferry', withSecret(project.dsn));
    await checkStored(project.slug, out, {
      platform: 'go',
      excTitle: '*main.DeclinedError: card declined for 250 cents',
      fns: ['charge', 'validate'],
      msgTitle: 'go says hello',
      msgLevel: 'error',
      release: 'goapp@0.2.0',
    });
  });
});

describe(`raven-node ${RAVEN_NODE_VERSION} (npm raven)`, () => {
  let dir;
  let script;
  let ravenModule;

  before(async () => {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'));
    try {
      ravenModule = require.resolve('raven');
    } catch {
      assert.fail('npm package raven is missing: run npm ci at the source root');
    }
    const v = await execFileP(process.execPath, ['-e', 'process.stdout.write(require(process.argv[1]).version)',
      ravenModule], { timeout: CLIENT_TIMEOUT_MS });
    assert.equal(v.code, 0, `raven does not load under Node ${process.version}: ${v.stderr}`);
    assert.equal(v.stdout, RAVEN_NODE_VERSION);
    dir = path.join(tmp.dir, 'node-app');
    await mkdir(dir, { recursive: true });
    script = path.join(dir, 'app.cjs');
    await writeFile(script, NODE_APP);
  });

  const run = (what, dsn) => runApp(what, process.execPath, [script, dsn],
    { cwd: dir, env: { ...process.env, RAVEN_MODULE: ravenModule, SENTRY_DSN: '' } });

  test('posts base64 of zlib-deflated JSON to /store/', { timeout: 60000 }, async (t) => {
    recorder.clear();
    const out = await run('raven-node → recorder', recorder.dsn);
    const wire = checkWire('raven-node', out, {
      version: '5', client: /^raven-node\/2\.6\.4$/, platform: 'node', excType: 'RangeError',
      messageEncoding: () => 'base64+zlib',
    });
    t.diagnostic(`raven-node wire: ${JSON.stringify(wire)}`);
  });

  test('stored: exception grouped into one issue, and a message', { timeout: 60000 }, async () => {
    const project = await projectCreateSettled(cfg, 'node-legacy', 'node');
    const out = await run('raven-node → ferry', withSecret(project.dsn));
    await checkStored(project.slug, out, {
      platform: 'node',
      excTitle: 'RangeError: card declined for 250 cents',
      fns: ['main', 'chargeCard'],
      msgTitle: 'node says hello',
      msgLevel: 'warning',
      release: 'nodeapp@2.6.4',
    });
  });
});

describe('legacy bodies that are not events', () => {
  let project;
  let auth;
  before(async () => {
    project = await projectCreateSettled(cfg, 'legacy-bad', 'other');
    const key = /^https?:\/\/([0-9a-f]+)@/.exec(project.dsn)[1];
    auth = `Sentry sentry_version=5, sentry_key=${key}, sentry_secret=${FAKE_SECRET}`;
  });
  const post = (body) => request(`${ferry.url}/api/${project.id}/store/`, {
    headers: { 'x-sentry-auth': auth, 'content-type': 'application/octet-stream' }, body,
  });

  test('a zlib bomb inside base64 is refused with 413 before it is inflated', { timeout: 30000 }, async () => {
    // 64 MiB of zeros deflate to ~64 KiB: far past limits.max_event_bytes once inflated.
    const bomb = zlib.deflateSync(Buffer.alloc(64 << 20)).toString('base64');
    const res = await post(Buffer.from(bomb));
    assert.equal(res.status, 413, res.text);
    assert.match(res.json.detail, /exceed|limit|large/i);
    assert.match(res.headers['x-sentry-error'] || '', /./, 'the reason is in X-Sentry-Error too');
  });

  test('a corrupt zlib stream inside base64 is 400', { timeout: 30000 }, async () => {
    const good = zlib.deflateSync(Buffer.from('{"message":"x"}'));
    const corrupt = Buffer.concat([good.subarray(0, 4), Buffer.alloc(12, 0xff)]).toString('base64');
    const res = await post(Buffer.from(corrupt));
    assert.equal(res.status, 400, res.text);
    assert.equal(res.headers['content-type'], 'application/json');
  });

  test('base64 of something that is not JSON is 400 "not valid JSON"', { timeout: 30000 }, async () => {
    const res = await post(Buffer.from(Buffer.from('hello, not an event').toString('base64')));
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.detail, /not valid JSON/);
    assert.match(res.headers['x-sentry-error'], /not valid JSON/);
  });

  test('base64 of plain JSON is taken, as Relay does', { timeout: 30000 }, async () => {
    const id = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const json = JSON.stringify({ event_id: id, message: 'plain JSON in base64' });
    const res = await post(Buffer.from(Buffer.from(json).toString('base64')));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
  });
});

test('ferry keeps serving after the legacy clients', { timeout: 30000 }, async () => {
  ferry.assertAlive();
  const res = await request(`${ferry.url}/api/relay/healthcheck/live/`, { method: 'GET' });
  assert.equal(res.status, 200, `live: ${res.status} ${res.text}`);
  assert.deepEqual(res.json, { is_healthy: true });
});
