// Starts and stops the real ferry binary for integration tests.
//
// Each instance gets its own temp dir (config file, data_dir), listens on 127.0.0.1:0 and is
// considered up once it prints "ferry listening on http://HOST:PORT" on stdout. stderr is kept
// so that failures can show what ferry logged.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FERRY_BIN = process.env.FERRY_BIN || path.join(REPO_ROOT, 'build', 'ferry');

const LISTEN_PREFIX = 'ferry listening on ';

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Deep merge of plain objects; arrays and scalars from `over` replace those of `base`.
export function merge(base, over) {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

export async function makeTempDir(prefix = 'ferry-it-') {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function assertBinaryExists() {
  try {
    await access(FERRY_BIN);
  } catch {
    throw new Error(`ferry binary not found at ${FERRY_BIN} (build it with 'make build' or set FERRY_BIN)`);
  }
}

// JSON is YAML, so the config object is written as JSON text into ferry.yml. A null value
// leaves the key out (so a test can drop one of baseConfig's defaults).
export function configText(config) {
  return JSON.stringify(config, (k, v) => (v === null ? undefined : v), 2) + '\n';
}

export class Ferry {
  constructor(proc, dir, url, stderrChunks) {
    this.proc = proc;
    this.pid = proc.pid;
    this.dir = dir;
    this.url = url; // e.g. http://127.0.0.1:41234
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.stderrChunks = stderrChunks;
    this.exited = null; // {code, signal} once the process ended
    this.exitPromise = new Promise((resolve) => {
      const done = (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      };
      if (proc.exitCode !== null || proc.signalCode !== null) done(proc.exitCode, proc.signalCode);
      else proc.once('exit', done);
    });
  }

  stderr() {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  stderrTail(n = 40) {
    return this.stderr().split('\n').slice(-n).join('\n');
  }

  // Peak resident set size of the ferry process in bytes (VmHWM).
  peakRssBytes() {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (!m) throw new Error('VmHWM not found in /proc status');
    return Number(m[1]) * 1024;
  }

  assertAlive() {
    if (this.exited) {
      throw new Error(`ferry exited unexpectedly (${JSON.stringify(this.exited)}); stderr:\n${this.stderrTail()}`);
    }
  }

  // Sends SIGTERM and waits for the exit. Throws unless ferry exits 0 within timeoutMs.
  async stop({ timeoutMs = 10000, keepDir = false } = {}) {
    try {
      if (!this.exited) {
        this.proc.kill('SIGTERM');
        let handle;
        const timer = new Promise((resolve) => {
          handle = setTimeout(resolve, timeoutMs, 'timeout');
        });
        const r = await Promise.race([this.exitPromise, timer]);
        clearTimeout(handle);
        if (r === 'timeout') {
          this.proc.kill('SIGKILL');
          await this.exitPromise;
          throw new Error(`ferry did not exit within ${timeoutMs} ms of SIGTERM; stderr:\n${this.stderrTail()}`);
        }
      }
      const { code, signal } = this.exited;
      if (code !== 0) {
        throw new Error(`ferry exited with code ${code} signal ${signal}; stderr:\n${this.stderrTail()}`);
      }
    } finally {
      if (!keepDir) await rm(this.dir, { recursive: true, force: true });
    }
  }
}

// Default config every test starts from: port 0, a private data dir, direct delivery. The
// public_url names a host no test DSN uses (ferry's own host is always allowed).
export const PUBLIC_URL = 'http://ferry.itest.invalid';
export function baseConfig(dir) {
  return {
    server: { listen: '127.0.0.1:0', public_url: PUBLIC_URL },
    data_dir: path.join(dir, 'data'),
    log: { level: 'info', format: 'text' },
    tunnel: { delivery: 'direct' },
  };
}

// Starts ferry with `config` merged over baseConfig. Resolves once the listening line appears.
export async function startFerry(config = {}, { env = {}, timeoutMs = 10000 } = {}) {
  await assertBinaryExists();
  const dir = await makeTempDir();
  const full = merge(baseConfig(dir), config);
  const cfgPath = path.join(dir, 'ferry.yml');
  await writeFile(cfgPath, configText(full));
  const proc = spawn(FERRY_BIN, ['serve', '--config', cfgPath], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrChunks = [];
  proc.stderr.on('data', (c) => stderrChunks.push(c));
  let stdout = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ferry did not print '${LISTEN_PREFIX}...' within ${timeoutMs} ms; ` +
        `stdout: ${stdout}\nstderr:\n${Buffer.concat(stderrChunks).toString()}`));
    }, timeoutMs);
    proc.stdout.on('data', (c) => {
      stdout += c.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith(LISTEN_PREFIX));
      if (line) {
        clearTimeout(timer);
        resolve(line.slice(LISTEN_PREFIX.length).trim());
      }
    });
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited before listening (code ${code}, signal ${signal}); stderr:\n` +
        Buffer.concat(stderrChunks).toString()));
    });
  }).catch(async (e) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });
  // Keep draining stdout so ferry never blocks on a full pipe.
  proc.stdout.on('data', () => {});
  const ferry = new Ferry(proc, dir, url, stderrChunks);
  ferry.config = full;
  ferry.configPath = cfgPath;
  return ferry;
}

// Runs a ferry CLI command to completion, feeding `input` (when not null) to its stdin.
// Resolves {code, signal, stdout, stderr}.
export async function runFerry(args, { env = {}, cwd, timeoutMs = 15000, input = null } = {}) {
  await assertBinaryExists();
  return new Promise((resolve, reject) => {
    const proc = spawn(FERRY_BIN, args, {
      cwd: cwd || REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== null) proc.stdin.end(input);
    const out = [];
    const err = [];
    proc.stdout.on('data', (c) => out.push(c));
    proc.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ferry ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
