// Smoke test of `pnpm bench:cluster` (test/bench/cluster-bench.ts): run through its command
// line at a tiny scale, it starts its cluster, goes through every phase with a progress line,
// prints every figure of issue 14's table and stops what it started. Numbers are not checked
// (timing belongs to the benchmark, not to tests); their presence and shape are.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../bench/cluster-bench.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../bench/cluster-bench.ts', import.meta.url));
const RUN_TIMEOUT_MS = 150_000;

function runScript(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench:cluster', () => {
  it('prints a progress line per phase and every figure of the table', async () => {
    const r = await runScript(['--scale', '0.002']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const [i, p] of PHASES.entries()) {
      expect(r.stdout).toContain(`[${i + 1}/${PHASES.length}] ${p}: done in `);
    }
    const num = String.raw`\d+(\.\d+)?`;
    expect(r.stdout).toMatch(new RegExp(`^sequential put, 1 client: ops/s \\(p50 / p99 ms\\) \\| ${num} \\(${num} / ${num}\\)$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^server CPU per sequential put \\(3 members\\) \\| ${num} ms \\(n\\d \\(leader\\) ${num} ms, `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^server CPU at 100 puts in flight \\| ${num} cores for ${num}k/s = ${num} cores per 1k puts/s`, 'm'));
    // Leadership may move during a run on a loaded machine: the leader at the end is labeled.
    const member = `n\\d( \\(leader\\))? ${num} MiB`;
    expect(r.stdout).toMatch(new RegExp(`^RSS per member after the run \\| ${member}, ${member}, ${member}$`, 'm'));
    expect(r.stdout).toMatch(/^RSS per member after the run \| .*\(leader\)/m);
    expect(r.stdout.match(new RegExp(`^memory of n\\d( \\(leader\\))? \\| heap used ${num} MiB, heap total ${num} MiB, external ${num} MiB`, 'gm'))).toHaveLength(3);
    // Every member it started is gone: the data dir it named was removed with them.
    const root = /data in (\S+)/.exec(r.stdout)?.[1];
    expect(root).toBeDefined();
    expect(existsSync(root as string)).toBe(false);
  });

  it('refuses an unknown phase with a clear message', async () => {
    const r = await runScript(['--phases', 'sequential,nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown phase nope');
  });
});
