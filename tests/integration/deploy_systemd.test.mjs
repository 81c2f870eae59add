// deploy/systemd/: `systemd-analyze verify` accepts the units without a single warning (an
// unknown or misspelt key is only a warning there, so stderr must stay empty), the service
// keeps its contract (user, state directory, config path, reload and stop signals, hardening),
// and the command lines the units run really work: ExecStart serves until SIGTERM and exits 0,
// the backup unit's ExecStart writes ferry-backup-<time>.jsonl.gz into its working directory.
// The units name /usr/local/bin/ferry and /etc/ferry/ferry.yml; the verified copies and the
// commands run point at the built binary (FERRY_BIN) and a test config instead.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile, readdir, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FERRY_BIN, REPO_ROOT, assertBinaryExists, configText } from './lib/ferry.mjs';
import { storeConfig, tempDir } from './lib/store.mjs';

const UNIT_DIR = path.join(REPO_ROOT, 'deploy/systemd');
const UNITS = ['ferry.service', 'ferry-backup.service', 'ferry-backup.timer'];
const INSTALLED_BIN = '/usr/local/bin/ferry';
const INSTALLED_CONFIG = '/etc/ferry/ferry.yml';

// [section][key] → [values] of a unit file (repeated keys keep every value).
function parseUnit(text) {
  const out = {};
  let section = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] ??= {};
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && section, `not a unit-file line: ${line}`);
    (out[section][kv[1]] ??= []).push(kv[2]);
  }
  return out;
}

function one(unit, section, key) {
  const v = unit[section]?.[key];
  assert.ok(v && v.length === 1, `${section}.${key}: expected one value, got ${JSON.stringify(v)}`);
  return v[0];
}

// ExecStart's words with the installed paths swapped for the test's.
function execWords(line, configPath) {
  const words = line.split(/\s+/);
  assert.equal(words[0], INSTALLED_BIN);
  return words.slice(1).map((w) => (w === INSTALLED_CONFIG ? configPath : w));
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60000, ...opts }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let tmp;
const units = {};

before(async () => {
  await assertBinaryExists();
  tmp = await tempDir('ferry-deploy-systemd-');
  for (const name of UNITS) {
    const text = await readFile(path.join(UNIT_DIR, name), 'utf8');
    units[name] = { text, parsed: parseUnit(text) };
  }
});

after(async () => {
  await tmp?.cleanup();
});

describe('systemd-analyze verify', () => {
  test('accepts the units with ExecStart on the built binary, without any warning', { timeout: 60000 }, async () => {
    const which = await run('sh', ['-c', 'command -v systemd-analyze']);
    assert.equal(which.code, 0, 'systemd-analyze is missing: install Debian\'s systemd (scripts/install-deps)');
    const dir = path.join(tmp.dir, 'units');
    await mkdir(dir);
    for (const name of UNITS) {
      const { text } = units[name];
      await writeFile(path.join(dir, name), text.split(INSTALLED_BIN).join(FERRY_BIN));
    }
    const r = await run('systemd-analyze', ['verify', ...UNITS.map((n) => path.join(dir, n))]);
    assert.equal(r.code, 0, `systemd-analyze verify failed:\n${r.stderr}${r.stdout}`);
    assert.equal(r.stderr.trim(), '', `systemd-analyze verify warned:\n${r.stderr}`);
  });

  test('refuses a unit whose binary does not exist (the check above can fail)', { timeout: 60000 }, async () => {
    const dir = path.join(tmp.dir, 'missing');
    await mkdir(dir);
    const text = units['ferry.service'].text.split(INSTALLED_BIN).join(path.join(tmp.dir, 'no-such-ferry'));
    await writeFile(path.join(dir, 'ferry.service'), text);
    const r = await run('systemd-analyze', ['verify', path.join(dir, 'ferry.service')]);
    assert.notEqual(r.code, 0, 'verify passed a unit with a missing binary');
    assert.match(r.stderr, /no-such-ferry/);
  });
});

describe('ferry.service', () => {
  test('runs as ferry with its state in /var/lib/ferry and its config in /etc/ferry', () => {
    const u = units['ferry.service'].parsed;
    assert.equal(one(u, 'Service', 'User'), 'ferry');
    assert.equal(one(u, 'Service', 'StateDirectory'), 'ferry');
    assert.equal(one(u, 'Service', 'WorkingDirectory'), '/var/lib/ferry');
    assert.equal(one(u, 'Service', 'ExecStart'), `${INSTALLED_BIN} serve --config ${INSTALLED_CONFIG}`);
    assert.equal(one(u, 'Service', 'ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one(u, 'Service', 'KillSignal'), 'SIGTERM');
    assert.equal(one(u, 'Service', 'Restart'), 'on-failure');
    assert.equal(one(u, 'Install', 'WantedBy'), 'multi-user.target');
    assert.ok(Number(one(u, 'Service', 'LimitNOFILE')) >= 65536);
  });

  test('is hardened', () => {
    const u = units['ferry.service'].parsed;
    const want = {
      NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes',
      PrivateDevices: 'yes', RestrictSUIDSGID: 'yes', MemoryDenyWriteExecute: 'yes',
      CapabilityBoundingSet: '',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(one(u, 'Service', k), v, k);
  });

  test('the example configs keep their data where the unit lets ferry write', async () => {
    for (const name of ['tunnel.yml', 'instance.yml']) {
      const text = await readFile(path.join(REPO_ROOT, 'deploy/config', name), 'utf8');
      assert.match(text, /^data_dir: "\/var\/lib\/ferry"/m, `${name}: data_dir is not the unit's StateDirectory`);
    }
  });

  test('its ExecStart serves, and SIGTERM (KillSignal) stops it with exit 0', { timeout: 60000 }, async () => {
    const dir = path.join(tmp.dir, 'serve');
    await mkdir(dir);
    const cfg = path.join(dir, 'ferry.yml');
    await writeFile(cfg, configText(storeConfig(dir)));
    const args = execWords(one(units['ferry.service'].parsed, 'Service', 'ExecStart'), cfg);
    const proc = spawn(FERRY_BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { err += c; });
    const exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let startTimer;
    const listening = await Promise.race([
      new Promise((resolve) => {
        const check = () => (/^ferry listening on /m.test(out) ? resolve(true) : null);
        proc.stdout.on('data', check);
      }),
      exit.then((e) => ({ exited: e })),
      new Promise((resolve) => { startTimer = setTimeout(resolve, 30000, 'timeout'); }),
    ]);
    clearTimeout(startTimer);
    if (listening !== true) proc.kill('SIGKILL');
    assert.equal(listening, true, `ferry did not start: ${JSON.stringify(listening)}\n${out}\n${err}`);
    proc.kill(one(units['ferry.service'].parsed, 'Service', 'KillSignal'));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
    const e = await exit;
    clearTimeout(timer);
    assert.deepEqual(e, { code: 0, signal: null }, `stop: ${err}`);
  });
});

describe('ferry-backup.service and .timer', () => {
  test('the timer starts the backup service', () => {
    const t = units['ferry-backup.timer'].parsed;
    assert.ok(t.Timer?.OnCalendar?.length, 'OnCalendar');
    assert.equal(one(t, 'Timer', 'Persistent'), 'true');
    assert.equal(t.Timer.Unit, undefined, 'the timer starts the service of the same name');
    assert.equal(one(t, 'Install', 'WantedBy'), 'timers.target');
    assert.equal(one(units['ferry-backup.service'].parsed, 'Service', 'User'), 'ferry');
  });

  test('its ExecStart writes a backup into the working directory', { timeout: 60000 }, async () => {
    const dir = path.join(tmp.dir, 'backup');
    const backups = path.join(dir, 'backups');
    await mkdir(backups, { recursive: true });
    const cfg = path.join(dir, 'ferry.yml');
    await writeFile(cfg, configText(storeConfig(dir)));
    const u = units['ferry-backup.service'].parsed;
    assert.equal(one(u, 'Service', 'WorkingDirectory'), '/var/backups/ferry');
    const pc = await run(FERRY_BIN, ['project', 'create', 'backed-up', '--config', cfg]);
    assert.equal(pc.code, 0, pc.stderr);
    const r = await run(FERRY_BIN, execWords(one(u, 'Service', 'ExecStart'), cfg), { cwd: backups });
    assert.equal(r.code, 0, `backup: ${r.stderr}`);
    const files = (await readdir(backups)).filter((f) => /^ferry-backup-\d{8}-\d{6}\.jsonl\.gz$/.test(f));
    assert.equal(files.length, 1, `backup files: ${await readdir(backups)}`);
    // ExecStartPost prunes by that same name pattern.
    assert.match(one(u, 'Service', 'ExecStartPost'), /-name ferry-backup-\*\.jsonl\.gz -mtime \+\d+ -delete$/);
  });
});
