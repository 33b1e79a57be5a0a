// One short chaos run against real `kite server` processes (needs the built server:
// packages/server/dist/main.js): 3 members, the register workload, partitions and kill -9,
// about 30 s in all; then a shorter one with mutual TLS on every link (--tls) and auth on
// (--auth: workloads log in as a non-root user, nemeses as root), one-way
// partitions included (the proxy terminates TLS, so it still drops whole frames one way).
// Every checker must say valid; on failure the run directory (history, results, report,
// member logs and data) is kept and named in the assertion message.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOptions } from '../src/run/options.js';
import { runTest } from '../src/run/runner.js';

describe('jepsen-lite chaos run', () => {
  it('register workload under partitions and kills on 3 members is linearizable, durable and live', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'jepsen-lite-itest-'));
    const lines: string[] = [];
    const outcome = await runTest(
      {
        ...defaultOptions(),
        test: 'chaos-itest',
        storeDir: store,
        nodes: 3,
        workload: 'register',
        nemeses: ['partition-leader', 'partition-random', 'kill-one', 'kill-leader'],
        faultMs: 16_000,
        calmMs: 2_000,
        recoveryMs: 3_000,
        healMs: 10_000,
        holdMs: [2_000, 3_000],
        quietMs: [1_000, 1_500],
        rateHz: 40,
        concurrency: 4,
        seed: 20261122,
      },
      { log: (l) => lines.push(l) },
    );
    const summary = outcome.results.map((r) => `${r.checker}=${String(r.valid)}`).join(' ');
    const context = `${summary}\nrun dir: ${outcome.dir}\n${lines.join('\n')}`;
    expect(outcome.error, context).toBeNull();
    expect(outcome.results.map((r) => r.checker).sort(), context).toEqual(['durability', 'linearizability/register', 'liveness', 'members']);
    expect(outcome.results.every((r) => r.valid === true), context).toBe(true);
    expect(outcome.valid, context).toBe(true);
    rmSync(store, { recursive: true, force: true });
  });

  it('register workload with TLS on every link and auth on, under partitions (one-way too) and kills, is valid', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'jepsen-lite-tls-itest-'));
    const lines: string[] = [];
    const outcome = await runTest(
      {
        ...defaultOptions(),
        test: 'chaos-tls-itest',
        storeDir: store,
        nodes: 3,
        workload: 'register',
        nemeses: ['partition-leader', 'partition-one-way', 'kill-one'],
        faultMs: 10_000,
        calmMs: 1_000,
        recoveryMs: 2_000,
        healMs: 10_000,
        holdMs: [1_500, 2_500],
        quietMs: [800, 1_200],
        rateHz: 40,
        concurrency: 4,
        seed: 20261207,
        tls: true,
        auth: true,
      },
      { log: (l) => lines.push(l) },
    );
    const summary = outcome.results.map((r) => `${r.checker}=${String(r.valid)}`).join(' ');
    const context = `${summary}\nrun dir: ${outcome.dir}\n${lines.join('\n')}`;
    expect(outcome.error, context).toBeNull();
    expect(outcome.valid, context).toBe(true);
    // The members really ran TLS: certificates were made and the client door was https.
    expect(existsSync(path.join(outcome.dir, 'tls', 'ca.pem')), context).toBe(true);
    const n1Log = readFileSync(path.join(outcome.dir, 'logs', 'n1.log'), 'utf8');
    expect(n1Log, context).toMatch(/"client":"https:\/\/127\.0\.0\.1:\d+"/);
    // Auth was on for the whole workload: enabled before it started, never turned off.
    expect(n1Log, context).toMatch(/authentication enabled/);
    expect(n1Log, context).not.toMatch(/authentication disabled/);
    rmSync(store, { recursive: true, force: true });
  });
});
