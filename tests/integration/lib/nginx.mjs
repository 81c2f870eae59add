// Real nginx for the deploy tests: renders a site file from deploy/nginx/ (placeholders and
// listen ports substituted, nothing else unless the test asks), runs Debian's nginx as the
// current user with its own prefix, pid, logs and temp paths in a temp dir, and makes a
// self-signed certificate with openssl.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { REPO_ROOT } from './ferry.mjs';
import { sleep } from './envelope.mjs';

const execFileP = promisify(execFile);
export const NGINX_BIN = '/usr/sbin/nginx';

// A self-signed certificate for 127.0.0.1 and localhost; it is its own CA (NODE_EXTRA_CA_CERTS).
export async function makeCert(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { timeout: 30000 });
  return { cert, key };
}

// The text of deploy/nginx/<name> with @PLACEHOLDERS@ replaced and its two listen ports (80,
// 443; IPv4 and IPv6 lines) moved to 127.0.0.1:<httpPort> and :<httpsPort>. `edit(text)` may
// change more (a test-only directive). Fails if the file no longer has the expected shape.
export async function renderSite(name, { serverName, cert, key, ferry, httpPort, httpsPort, edit = (t) => t }) {
  let text = await readFile(path.join(REPO_ROOT, 'deploy/nginx', name), 'utf8');
  const swap = (from, to) => {
    const n = text.split(from).length - 1;
    assert.ok(n >= 1, `${name}: "${from}" not found`);
    text = text.split(from).join(to);
  };
  swap('@SERVER_NAME@', serverName);
  swap('@CERT@', cert);
  swap('@KEY@', key);
  swap('@FERRY@', ferry);
  const listens = [
    [/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${httpPort};`],
    [/^(\s*)listen \[::\]:80;\n/m, ''],
    [/^(\s*)listen 443 ssl http2;$/m, `$1listen 127.0.0.1:${httpsPort} ssl http2;`],
    [/^(\s*)listen \[::\]:443 ssl http2;\n/m, ''],
  ];
  for (const [re, to] of listens) {
    assert.match(text, re, `${name}: no line matching ${re}`);
    text = text.replace(re, to);
  }
  assert.equal((text.match(/^\s*listen /gm) || []).length, 2, `${name}: more listen lines than expected`);
  const left = /@[A-Z_]+@/.exec(text.replace(/^\s*#.*$/gm, ''));
  assert.equal(left, null, `${name}: placeholder ${left} left unsubstituted`);
  return edit(text);
}

// nginx.conf around the given site texts; everything nginx writes stays under `dir`.
function mainConf(dir, sites) {
  const includes = sites.map((_, i) => `    include ${path.join(dir, `site${i}.conf`)};`).join('\n');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${path.join(dir, 'temp', t)};`).join('\n');
  // As root, nginx would switch its workers to "nobody", who cannot use the temp dir.
  const user = process.getuid() === 0 ? `user ${userInfo().username};\n` : '';
  return `${user}worker_processes 1;
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} info;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
    access_log ${path.join(dir, 'access.log')};
${temp}
${includes}
}
`;
}

function run(args, { timeoutMs = 20000 } = {}) {
  return new Promise((resolve) => {
    execFile(NGINX_BIN, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// Writes the config, checks it with `nginx -t`, starts nginx and waits until `ports` accept
// connections. Returns { proc, dir, test (the -t output), errorLog(), stop() }.
export async function startNginx(dir, sites, ports, { timeoutMs = 15000 } = {}) {
  await mkdir(path.join(dir, 'temp'), { recursive: true });
  for (const [i, text] of sites.entries()) await writeFile(path.join(dir, `site${i}.conf`), text);
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, mainConf(dir, sites));
  const errLog = path.join(dir, 'error.log');
  const base = ['-p', dir, '-c', conf, '-e', errLog];
  const t = await run([...base, '-t']);
  assert.equal(t.code, 0, `nginx -t failed:\n${t.stderr}${t.stdout}`);
  const proc = spawn(NGINX_BIN, base, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = [];
  proc.stderr.on('data', (c) => stderr.push(c));
  let exited = null;
  const exitPromise = new Promise((resolve) => proc.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  const errorLog = async () => {
    const log = await readFile(errLog, 'utf8').catch(() => '');
    return log + Buffer.concat(stderr).toString('utf8');
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`nginx exited (${JSON.stringify(exited)}):\n${await errorLog()}`);
    const up = await Promise.all(ports.map(canConnect));
    if (up.every(Boolean)) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${ports.join(', ')} within ${timeoutMs} ms:\n${await errorLog()}`);
    }
    await sleep(50);
  }
  return {
    proc,
    dir,
    test: t.stderr,
    errorLog,
    // Graceful stop (SIGQUIT), SIGKILL after 10 s.
    async stop() {
      if (exited) return;
      proc.kill('SIGQUIT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
