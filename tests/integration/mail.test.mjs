// Mail alerts against a real SMTP server: aiosmtpd (Debian python3-aiosmtpd) requiring STARTTLS
// with a self-signed certificate (given to ferry as mail.ca_file) and AUTH. Recipients are the
// store's users. Checks: one mail per new issue, MIME structure and escaping as a mail parser
// sees them, a mail on a regression and none on a duplicate, a burst of 40 new issues in a few
// digests that name them all, and a server that is down at first: ingest is not held up and
// the mails arrive once it is up (retried, failures counted in /metrics).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  Api, REPO_ROOT, freePort, makeToken, messageEvent, metric, sendOk, startStore, tempDir, waitFor,
  writeStoreConfig,
} from './lib/store.mjs';
import { eventId, sleep } from './lib/envelope.mjs';

const execFileP = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SINK = path.join(REPO_ROOT, 'tests/integration/python/smtp_sink.py');
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');
const MAIL_USER = 'ferry-it';
const MAIL_PASSWORD = 'mail-pw-4711';
const RECIPIENT = 'it@example.com';
// ferry reads the password through ${VAR} expansion; the CLI runs read the same config.
process.env.FERRY_IT_MAIL_PASSWORD = MAIL_PASSWORD;

// A running smtp_sink.py; mails() reads what it received so far.
async function startSink({ port, cert, key, out, mechanisms = 'PLAIN,LOGIN' }) {
  const proc = spawn(PYTHON, ['-B', SINK, String(port), cert, key, MAIL_USER, MAIL_PASSWORD, out,
    mechanisms], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c) => { stderr += c; });
  await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`smtp sink not ready within 15 s; stderr:\n${stderr}`));
    }, 15000);
    proc.stdout.on('data', (c) => {
      stdout += c;
      if (stdout.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`smtp sink exited with ${code}; stderr:\n${stderr}`));
    });
  });
  proc.stdout.on('data', () => {});
  return {
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function mails(out) {
  const text = await readFile(out, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function part(mail, type) {
  const p = mail.parts.find((x) => x.content_type === type);
  assert.ok(p, `no ${type} part in ${JSON.stringify(mail.parts.map((x) => x.content_type))}`);
  return p.text;
}

// Waits until the mails after the first `since` satisfy done(list); returns that list.
async function waitMails(out, since, done, what, timeoutMs = 20000) {
  return waitFor(async () => {
    const list = (await mails(out)).slice(since);
    return done(list) ? list : null;
  }, { timeoutMs, stepMs: 100, what });
}

let tmp;
let cert;
let key;

before(async () => {
  tmp = await tempDir('ferry-mail-');
  cert = path.join(tmp.dir, 'smtp-cert.pem');
  key = path.join(tmp.dir, 'smtp-key.pem');
  await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
    '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
});

after(async () => {
  await tmp?.cleanup();
});

function mailConfig(port, extra = {}) {
  return {
    mail: {
      host: '127.0.0.1', port, tls: 'starttls', username: MAIL_USER,
      password: '${FERRY_IT_MAIL_PASSWORD}', from: 'Ferry Alerts <alerts@ferry.test>',
      ca_file: cert, batch_interval_seconds: 1, timeout_ms: 5000, ...extra,
    },
  };
}

describe('mail server up', () => {
  let dir;
  let ferry;
  let sink;
  let api;
  let dsn;
  let out;

  before(async () => {
    dir = path.join(tmp.dir, 'up');
    out = path.join(tmp.dir, 'up-mails.jsonl');
    const smtpPort = await freePort();
    sink = await startSink({ port: smtpPort, cert, key, out });
    const cfg = await writeStoreConfig(dir, { extra: mailConfig(smtpPort) });
    ferry = await startStore(dir);
    dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
    api = new Api(ferry.url, await makeToken(cfg, RECIPIENT));
  });

  after(async () => {
    try {
      await ferry?.stop({ keepDir: true });
    } finally {
      await sink?.stop();
    }
  });

  test('each new issue gives one mail, a multipart message with escaped event text', { timeout: 60000 }, async () => {
    const titleA = 'Mail test A <b>bold</b> & "quoted"';
    const idA = await sendOk(ferry.url, dsn, messageEvent(titleA, { level: 'error' }));
    const [a] = await waitMails(out, 0, (l) => l.length >= 1, 'the mail about issue A');
    assert.equal(a.tls, true, 'the mail came over STARTTLS');
    assert.equal(a.login, MAIL_USER, 'ferry logged in with mail.username');
    assert.equal(a.mail_from, 'alerts@ferry.test');
    assert.deepEqual(a.rcpt_tos, [RECIPIENT], 'every user of the store is a recipient');
    assert.equal(a.from, 'Ferry Alerts <alerts@ferry.test>');
    assert.equal(a.to, RECIPIENT);
    assert.equal(a.subject, `New issue in default: ${titleA}`);
    assert.match(a.message_id, /^<[0-9a-f]+@ferry\.test>$/);
    assert.ok(!Number.isNaN(Date.parse(a.date)), `Date header: ${a.date}`);
    assert.equal(a.content_type, 'multipart/alternative');
    assert.deepEqual(a.parts.map((p) => [p.content_type, p.charset]),
      [['text/plain', 'utf-8'], ['text/html', 'utf-8']]);
    const event = (await api.event('default', idA)).json;
    const link = `${ferry.url}/issues/${event.groupID}/`;
    const text = part(a, 'text/plain');
    assert.ok(text.includes(titleA), text);
    assert.ok(text.includes(link), `link ${link} in:\n${text}`);
    assert.ok(text.includes('New issue | default | error'), text);
    const html = part(a, 'text/html');
    assert.ok(!html.includes('<b>bold</b>'), 'event text is not markup');
    assert.ok(html.includes('Mail test A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'), html);
    assert.ok(html.includes(`<a href="${link}">`), html);

    const titleB = 'Mail test B: Ошибка — ünïcode';
    await sendOk(ferry.url, dsn, messageEvent(titleB, { level: 'warning' }));
    const [b] = await waitMails(out, 1, (l) => l.length >= 1, 'the mail about issue B');
    assert.equal(b.subject, `New issue in default: ${titleB}`, 'a non-ASCII subject decodes back');
    assert.ok(part(b, 'text/plain').includes(titleB));
    assert.ok(!part(b, 'text/plain').includes('Mail test A'), 'A was mailed already');
    assert.equal((await mails(out)).length, 2);
    assert.ok(await metric(ferry.url, 'ferry_mail_sent_total') >= 2);
  });

  test('@sentry/node events; a regression mails again, a duplicate does not', { timeout: 90000 }, async () => {
    const runSdk = async () => {
      const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, dsn, '', '250'],
        { timeout: 40000, cwd: REPO_ROOT });
      const res = JSON.parse(stdout.trim().split('\n').at(-1));
      assert.equal(res.flushed, true, 'Sentry.flush timed out');
      return res;
    };
    const title = 'RangeError: card declined for 250 cents';
    const before1 = (await mails(out)).length;
    const first = await runSdk();
    const got = await waitMails(out, before1, (l) => {
      const all = l.map((m) => m.subject + part(m, 'text/plain')).join('\n');
      return all.includes(title) && all.includes('node says hello');
    }, 'mails naming both new issues of the SDK run');
    assert.ok(got.length <= 2, `${got.length} mails for two new issues`);

    // An issue for the duplicate check below, mailed now as new.
    const dupId = eventId();
    const before3 = (await mails(out)).length;
    await sendOk(ferry.url, dsn, messageEvent('Duplicate check', { event_id: dupId, level: 'warning' }));
    await waitMails(out, before3, (l) => l.length >= 1, 'the mail about the duplicate-check issue');

    const event = (await api.event('default', first.exception)).json;
    const issueId = event.groupID;
    await api.put(`/api/0/issues/${issueId}/`, { status: 'resolved' });
    // Past the batch interval, so that a wrong extra mail would have time to show up below.
    await sleep(1200);
    const before2 = (await mails(out)).length;
    await runSdk(); // the same exception again: the resolved issue regresses
    const [reg] = await waitMails(out, before2, (l) => l.length >= 1, 'the regression mail');
    assert.equal(reg.subject, `Regression in default: ${title}`);
    assert.ok(part(reg, 'text/plain').includes(`${ferry.url}/issues/${issueId}/`));
    const issue = await api.get(`/api/0/issues/${issueId}/`);
    assert.equal(issue.status, 'unresolved');

    // A duplicate event id and another event of an open issue never alert.
    await sendOk(ferry.url, dsn, messageEvent('Duplicate check', { event_id: dupId, level: 'warning' }));
    await sendOk(ferry.url, dsn, messageEvent('Duplicate check', { level: 'warning' }));
    await sleep(2500); // over two batch intervals
    const after = (await mails(out)).slice(before2);
    assert.equal(after.length, 1, `only the regression was mailed: ${after.map((m) => m.subject).join(' | ')}`);
  });

  test('a burst of 40 new issues gives a few digests that name them all', { timeout: 90000 }, async () => {
    const before = (await mails(out)).length;
    // Words, not numbers: grouping parameterizes numbers, which would make one issue of all.
    const word = (i) => String(i).padStart(2, '0').replace(/\d/g, (d) => 'ghijklmnop'[d]);
    const titles = Array.from({ length: 40 }, (_, i) => `Burst error ${word(i)} happened`);
    await Promise.all(titles.map((t) => sendOk(ferry.url, dsn, messageEvent(t, { level: 'error' }))));
    const got = await waitMails(out, before, (l) => {
      const all = l.map((m) => part(m, 'text/plain')).join('\n');
      return titles.every((t) => all.includes(t));
    }, 'mails naming all 40 issues', 30000);
    assert.ok(got.length <= 5, `${got.length} mails for 40 new issues: ${got.map((m) => m.subject).join(' | ')}`);
    const digest = got.find((m) => /^\d+ new issues in default$/.test(m.subject));
    assert.ok(digest, `a digest subject among: ${got.map((m) => m.subject).join(' | ')}`);
    const count = Number(digest.subject.split(' ')[0]);
    const html = part(digest, 'text/html');
    assert.equal((html.match(/Burst error [g-p]{2} happened/g) || []).length, count,
      'the digest lists each issue once');
    await sleep(2500);
    assert.equal((await mails(out)).length - before, got.length, 'no further mails');
  });
});

describe('mail server down at first', () => {
  test('ingest is not held up; mails arrive once the server is up; failures counted', { timeout: 90000 }, async () => {
    const dir = path.join(tmp.dir, 'down');
    const out = path.join(tmp.dir, 'down-mails.jsonl');
    const smtpPort = await freePort();
    const cfg = await writeStoreConfig(dir, { extra: mailConfig(smtpPort) });
    const ferry = await startStore(dir);
    let sink;
    try {
      const dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
      const api = new Api(ferry.url, await makeToken(cfg, RECIPIENT));
      const titles = ['Outage error one', 'Outage error two', 'Outage error three'];
      for (const t of titles) {
        const id = await sendOk(ferry.url, dsn, messageEvent(t, { level: 'error' }));
        const res = await api.event('default', id);
        assert.equal(res.status, 200, 'answered 200 and stored at once, mail or not');
      }
      await waitFor(async () => await metric(ferry.url, 'ferry_mail_failures_total') > 0,
        { timeoutMs: 15000, what: 'a counted mail failure' });
      assert.equal(await metric(ferry.url, 'ferry_mail_sent_total'), 0);
      assert.ok(await metric(ferry.url, 'ferry_mail_queued') >= 1);

      // This server offers AUTH LOGIN only: ferry must use it.
      sink = await startSink({ port: smtpPort, cert, key, out, mechanisms: 'LOGIN' });
      const got = await waitMails(out, 0, (l) => {
        const all = l.map((m) => part(m, 'text/plain')).join('\n');
        return titles.every((t) => all.includes(t));
      }, 'the retried mails', 45000);
      assert.ok(got.every((m) => m.login === MAIL_USER && m.tls));
      await waitFor(async () => await metric(ferry.url, 'ferry_mail_queued') === 0,
        { timeoutMs: 10000, what: 'an empty mail queue' });
      assert.ok(await metric(ferry.url, 'ferry_mail_sent_total') >= 1);
      assert.ok(await metric(ferry.url, 'ferry_mail_failures_total') > 0);
      assert.equal(await metric(ferry.url, 'ferry_mail_alerts_dropped_total'), 0);
    } finally {
      try {
        await ferry.stop({ keepDir: true });
      } finally {
        await sink?.stop();
      }
    }
  });
});

describe('TLS verification', () => {
  test('an untrusted certificate or a wrong host name is a counted failure, never a mail', { timeout: 60000 }, async () => {
    const out = path.join(tmp.dir, 'tls-mails.jsonl');
    const smtpPort = await freePort();
    const sink = await startSink({ port: smtpPort, cert, key, out });
    try {
      const cases = [
        ['system store only', { ca_file: null }],
        ['trusted CA, wrong name', { host: 'localhost' }],
      ];
      for (const [what, extra] of cases) {
        const dir = path.join(tmp.dir, `tls-${cases.findIndex((c) => c[0] === what)}`);
        const cfg = await writeStoreConfig(dir, { extra: mailConfig(smtpPort, extra) });
        const ferry = await startStore(dir);
        try {
          const dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
          await makeToken(cfg, RECIPIENT);
          await sendOk(ferry.url, dsn, messageEvent(`TLS check: ${what}`, { level: 'error' }));
          await waitFor(async () => await metric(ferry.url, 'ferry_mail_failures_total') > 0,
            { timeoutMs: 15000, what: `a counted mail failure (${what})` });
          assert.equal(await metric(ferry.url, 'ferry_mail_sent_total'), 0, what);
          assert.match(ferry.stderr(), /cannot send mail.*(certificate|handshake)/i, what);
        } finally {
          await ferry.stop({ keepDir: true });
        }
      }
      assert.equal((await mails(out)).length, 0, 'nothing reached the server');
    } finally {
      await sink.stop();
    }
  });
});
