// deploy/config/: both example configurations pass `ferry check-config` as they are (the
// instance's with the SMTP password in the environment, as the systemd unit provides it), say
// what the operations guide says they say, and never print the password. Without the variable
// the instance config is refused, naming the key.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO_ROOT, runFerry } from './lib/ferry.mjs';

const TUNNEL = path.join(REPO_ROOT, 'deploy/config/tunnel.yml');
const INSTANCE = path.join(REPO_ROOT, 'deploy/config/instance.yml');
const PASSWORD = 'smtp-secret-3f9a7c';

// check-config with FERRY_MAIL_PASSWORD only when the test gives it (an undefined value drops
// an inherited one), so the environment the test runs in cannot make it pass by accident.
function checkConfig(file, env = {}) {
  return runFerry(['check-config', '--config', file], { env: { FERRY_MAIL_PASSWORD: undefined, ...env } });
}

describe('deploy/config/tunnel.yml', () => {
  test('passes check-config: a durable tunnel on every path, store disabled', { timeout: 30000 }, async () => {
    const r = await checkConfig(TUNNEL);
    assert.equal(r.code, 0, `check-config failed: ${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /listen: "127\.0\.0\.1:9000"/);
    assert.match(out, /public_url: "https:\/\/sentry-reporter\.example\.com"/);
    assert.match(out, /trusted_proxies: \[.*"127\.0\.0\.1\/32".*\]/s);
    assert.match(out, /paths: \["\/\*"\]/);
    assert.match(out, /delivery: durable/);
    assert.match(out, /allowed_hosts: \["sentry\.example\.com"\]/);
    assert.match(out, /store:\n(\s+.*\n)*?\s+enabled: false/);
    // Two remap entries, keys masked.
    const remap = /remap:\n((?:\s{4}.*\n)+)/.exec(out);
    assert.ok(remap, `no remap section:\n${out}`);
    assert.equal(remap[1].split('\n').filter((l) => l.includes('@sentry.example.com/')).length, 2);
    assert.ok(!out.includes('ca5e686dd7f149d9bf94e620564cceba'), 'a DSN key printed in full');
  });
});

describe('deploy/config/instance.yml', () => {
  test('passes check-config with FERRY_MAIL_PASSWORD: store, 30 days, SMTP with STARTTLS', { timeout: 30000 }, async () => {
    const r = await checkConfig(INSTANCE, { FERRY_MAIL_PASSWORD: PASSWORD });
    assert.equal(r.code, 0, `check-config failed: ${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /public_url: "https:\/\/sentry\.example\.com"/);
    assert.match(out, /trusted_proxies: \[.*"127\.0\.0\.1\/32".*\]/s);
    assert.match(out, /store:\n(\s+.*\n)*?\s+enabled: true/);
    assert.match(out, /retention_days: 30/);
    assert.match(out, /mail:\n(\s+.*\n)*?\s+host: "smtp\.example\.com"/);
    assert.match(out, /port: 587/);
    assert.match(out, /tls: starttls/);
    assert.ok(!out.includes(PASSWORD), 'the SMTP password was printed');
    assert.match(out, /password: "smtp…"/, 'the password is shown masked');
  });

  test('without FERRY_MAIL_PASSWORD it is refused, naming mail.password', { timeout: 30000 }, async () => {
    const r = await checkConfig(INSTANCE);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}`);
    assert.match(r.stderr.trim(), /^ferry: .*mail\.password/);
  });
});
