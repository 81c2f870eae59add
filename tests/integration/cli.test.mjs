// The command line: version, check-config (masking, unknown keys, bad values, missing file).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFile, rm } from 'node:fs/promises';
import { runFerry, makeTempDir, REPO_ROOT } from './lib/ferry.mjs';

const EXAMPLE = path.join(REPO_ROOT, 'tests/integration/fixtures/design_example.yml');
const PASSWORD = 'hunter2-very-secret';
const DSN_KEYS = ['2235e5c99219488ea93da34b9ac1cb68', '1b13ae41ee7c898ce3c49d04781eb908'];

let dir;
before(async () => {
  dir = await makeTempDir('ferry-cli-');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name, text) {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

function assertOneLineError(r, mustName) {
  assert.equal(r.code, 1, `exit code ${r.code}; stdout=${r.stdout} stderr=${r.stderr}`);
  const msg = r.stderr.trim();
  assert.ok(msg.length > 0, 'no message on stderr');
  assert.ok(!msg.includes('\n'), `not a one-line message:\n${msg}`);
  for (const word of mustName) assert.ok(msg.includes(word), `message does not name ${word}: ${msg}`);
}

describe('ferry version', () => {
  test('prints "ferry <version>" and exits 0', { timeout: 15000 }, async () => {
    const r = await runFerry(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ferry \d+\.\d+\.\d+\S*/);
    assert.ok(r.stdout.trim().split('\n').length >= 1);
  });
});

describe('ferry check-config', () => {
  test('the DESIGN example is valid; secrets are masked', { timeout: 15000 }, async () => {
    const r = await runFerry(['check-config', '--config', EXAMPLE], {
      cwd: dir, env: { FERRY_MAIL_PASSWORD: PASSWORD },
    });
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    const out = r.stdout;
    assert.ok(!out.includes(PASSWORD), 'the mail password is printed in full');
    assert.ok(out.includes(`${PASSWORD.slice(0, 4)}…`), `masked password (first 4 chars then …) not found:\n${out}`);
    for (const key of DSN_KEYS) {
      assert.ok(!out.includes(key), `DSN key ${key} printed in full`);
    }
    // It is the effective configuration: values from the file and defaults are there.
    for (const s of ['127.0.0.1:9000', '209715200', 'sentry.example.com', 'retention_days', 'max_event_bytes',
      'starttls', 'ferry@localhost']) {
      assert.ok(out.includes(s), `effective config lacks ${s}:\n${out}`);
    }
    assert.ok(!out.includes('${FERRY_MAIL_PASSWORD}'), 'the variable was not expanded');
  });

  test('no config file at all gives the built-in defaults', { timeout: 15000 }, async () => {
    const r = await runFerry(['check-config'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('127.0.0.1:9000'), r.stdout);
  });

  const unknown = {
    'unknown top-level key': ['sever:\n  listen: "127.0.0.1:9000"\n', ['sever']],
    'unknown nested key': ['tunnel:\n  alowed_hosts: ["a.example"]\n', ['alowed_hosts']],
    'unknown upstream option': ['upstreams:\n  "a.example": { url: "http://127.0.0.1:1", timeout: 5 }\n', ['timeout']],
  };
  for (const [what, [yaml, names]] of Object.entries(unknown)) {
    test(`${what} → exit 1 naming the key`, { timeout: 15000 }, async () => {
      const p = await writeConfig(`${what.replace(/\W+/g, '_')}.yml`, yaml);
      const r = await runFerry(['check-config', '--config', p], { cwd: dir });
      assertOneLineError(r, names);
    });
  }

  const badValues = {
    'max_envelope_bytes not a number': ['limits:\n  max_envelope_bytes: lots\n', ['max_envelope_bytes']],
    'negative request timeout': ['limits:\n  request_timeout_ms: -5\n', ['request_timeout_ms']],
    'delivery not a known mode': ['tunnel:\n  delivery: sometimes\n', ['delivery']],
    'listen without a port': ['server:\n  listen: "nonsense"\n', ['listen']],
    'log level unknown': ['log:\n  level: loud\n', ['level']],
    'trusted proxy not a CIDR': ['server:\n  trusted_proxies: ["10.0.0.0/99"]\n', ['trusted_proxies']],
    'remap target not a DSN': ['tunnel:\n  remap:\n    "https://k@a.example/1": "not a dsn"\n', ['remap']],
    'paths not a list': ['tunnel:\n  paths: 5\n', ['paths']],
    'mail tls unknown': ['mail:\n  tls: maybe\n', ['tls']],
  };
  for (const [what, [yaml, names]] of Object.entries(badValues)) {
    test(`bad value: ${what} → exit 1 naming the key`, { timeout: 15000 }, async () => {
      const p = await writeConfig(`${what.replace(/\W+/g, '_')}.yml`, yaml);
      const r = await runFerry(['check-config', '--config', p], { cwd: dir });
      assertOneLineError(r, names);
    });
  }

  test('YAML syntax error → exit 1', { timeout: 15000 }, async () => {
    const p = await writeConfig('syntax.yml', 'server: [unclosed\n  listen: :\n');
    const r = await runFerry(['check-config', '--config', p], { cwd: dir });
    assertOneLineError(r, []);
  });

  test('missing --config file → exit 1', { timeout: 15000 }, async () => {
    const missing = path.join(dir, 'does-not-exist.yml');
    const r = await runFerry(['check-config', '--config', missing], { cwd: dir });
    assertOneLineError(r, ['does-not-exist.yml']);
  });

  test('serve with a missing --config file exits non-zero at once', { timeout: 15000 }, async () => {
    const r = await runFerry(['serve', '--config', path.join(dir, 'nope.yml')], { cwd: dir, timeoutMs: 10000 });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.trim().length > 0);
  });
});
