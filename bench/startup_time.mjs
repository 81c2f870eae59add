// Start-up time: spawn `ferry serve --config CONFIG`, poll /api/relay/healthcheck/ready/ every
// millisecond until it answers 200; print the time, then the idle VmRSS one second later.
// Repeats RUNS times; before each run, RESET_DIR (if given) is deleted (a fresh data dir).
//   node bench/startup_time.mjs FERRY CONFIG PORT RUNS [RESET_DIR]
// Prints one JSON line: {"startup_ms":[...],"idle_rss_kb":[...]}
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const [ferry, config, port, runsText, resetDir] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const probe = () => new Promise((resolve) => {
  const req = http.get({ host: '127.0.0.1', port, path: '/api/relay/healthcheck/ready/', agent: false },
    (res) => { res.resume(); resolve(res.statusCode === 200); });
  req.on('error', () => resolve(false));
});
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const startup = [], idle = [];
for (let i = 0; i < Number(runsText); i++) {
  if (resetDir) fs.rmSync(resetDir, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const child = spawn(ferry, ['serve', '--config', config], { stdio: 'ignore' });
  let ok = false;
  while (!ok) {
    if (Number(process.hrtime.bigint() - t0) > 10e9) throw new Error('ferry not ready in 10 s');
    ok = await probe();
    if (!ok) await sleep(1);
  }
  startup.push(Number(process.hrtime.bigint() - t0) / 1e6);
  await sleep(1000);
  idle.push(rss(child.pid));
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}
console.log(JSON.stringify({ startup_ms: startup, idle_rss_kb: idle }));
