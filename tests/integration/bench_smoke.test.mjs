// A smoke run of `make bench` (bench/run_all.sh): every case once for one second, so the
// harness (nginx configs, the Node.js tunnel, wrk scripts, start-up and memory probes,
// micro-benchmarks, the report) keeps working. No figure is checked: benchmarks are not tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FERRY_BIN, REPO_ROOT, makeTempDir } from './lib/ferry.mjs';

test('bench/run_all.sh runs end to end and writes every section', { timeout: 240000 }, async () => {
  const dir = await makeTempDir('ferry-bench-smoke-');
  const out = path.join(dir, 'BENCHMARKS.md');
  const { code, stderr } = await new Promise((resolve) => {
    const p = spawn('bash', ['bench/run_all.sh', out], {
      cwd: REPO_ROOT,
      env: {
        ...process.env, FERRY_BIN, BENCH_SECS: '1', BENCH_RUNS: '1', BENCH_CONNS: '8',
        BENCH_SKIP_OLD: '1', BENCH_MICRO_TIME: '0.01',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const err = [];
    p.stderr.on('data', (c) => err.push(c));
    p.on('close', (c) => resolve({ code: c, stderr: Buffer.concat(err).toString() }));
  });
  assert.equal(code, 0, stderr.split('\n').slice(-30).join('\n'));
  const md = await readFile(out, 'utf8');
  for (const section of ['## Machine and settings', '## Goals', '## Tunnel, direct mode, against three baselines',
    "## Latency at half of ferry's peak load", '## Memory', '## Start-up', '## Micro-benchmarks',
    '## Performance notes']) {
    assert.ok(md.includes(section), `missing ${section}`);
  }
  for (const goal of ['throughput ≥ 0.8× nginx `proxy_pass`, small, keep-alive',
    'throughput ≥ 10× the Node.js tunnel, large, connection per request', 'RSS idle ≤ 30 MB (tunnel config)',
    'start-up to the first healthy answer ≤ 100 ms']) {
    const row = md.split('\n').find((l) => l.startsWith(`| ${goal}`));
    assert.ok(row, `no goal row for ${goal}`);
    assert.match(row, /\*\*(met|missed)\*\*/, row);
    assert.doesNotMatch(row, /NaN|undefined/, row);
  }
  assert.match(md, /BM_\w+/, 'micro-benchmark results are included');
});
