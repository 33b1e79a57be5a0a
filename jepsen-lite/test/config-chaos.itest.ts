// One short chaos run of the config workload against real `kite server` processes (needs the
// built server: packages/server/dist/main.js): 3 members, releases / gray / rollback by one
// admin while 6 SDK instances (2 per member) record every snapshot they apply, under leader
// partitions and kill -9; about 25 s. The config checker must say valid and must have had
// something to judge; on failure the run directory is kept and named in the message.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOptions } from '../src/run/options.js';
import { runTest } from '../src/run/runner.js';

describe('jepsen-lite config chaos run', () => {
  it('config workload under partitions and kills: no mixed or unknown release applied, every instance converges', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'jepsen-lite-config-itest-'));
    const lines: string[] = [];
    const outcome = await runTest(
      {
        ...defaultOptions(),
        test: 'config-chaos-itest',
        storeDir: store,
        nodes: 3,
        workload: 'config',
        nemeses: ['partition-leader', 'partition-random', 'kill-one', 'kill-leader'],
        faultMs: 10_000,
        calmMs: 2_000,
        recoveryMs: 2_000,
        healMs: 10_000,
        holdMs: [1_500, 2_500],
        quietMs: [500, 1_000],
        rateHz: 4,
        concurrency: 1,
        seed: 20261207,
      },
      { log: (l) => lines.push(l) },
    );
    const config = outcome.results.find((r) => r.checker === 'config');
    const context = `${outcome.results.map((r) => `${r.checker}=${String(r.valid)}`).join(' ')} ${JSON.stringify(config?.stats)}\nrun dir: ${outcome.dir}\n${lines.join('\n')}`;
    expect(outcome.error, context).toBeNull();
    expect(outcome.results.map((r) => r.checker).sort(), context).toEqual(['config', 'members']);
    expect(outcome.valid, context).toBe(true);
    // Not vacuous: several releases, all 6 instances applied some and converged.
    expect(config?.stats['releases'], context).toBeGreaterThan(2);
    expect(config?.stats['converged'], context).toBe(6);
    rmSync(store, { recursive: true, force: true });
  });
});
