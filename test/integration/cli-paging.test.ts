// CLI commands that fan out read in pages, so they still work when the data is larger than a
// member's reply budget: `kite get --prefix` and `kite snapshot save` against a member whose
// --max-response-bytes is far below the data return every key (pages pinned to one revision,
// halved on ResponseTooLarge), while one unpaged read of the same range is refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANGE_END_ALL, type TxnRequestOp } from '@kite/protocol';
import { runKite } from '../../packages/cli/test/cluster-harness.js';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

const KEYS = 100;
const VALUE = 'v'.repeat(1000);
/** 8 key-values per reply at most: a default page of 1000 keys is refused. */
const BUDGET_BYTES = 8 * 1024;

describe('CLI paging under a small reply budget', () => {
  let cluster: Cluster;
  let endpoint: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kite-paging-'));
    cluster = await Cluster.create({ size: 1, flags: ['--max-response-bytes', String(BUDGET_BYTES)] });
    await cluster.startAll();
    endpoint = `127.0.0.1:${cluster.member('n1').clientPort}`;
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    try {
      const success: TxnRequestOp[] = [];
      for (let i = 0; i < KEYS; i++) success.push({ type: 'put', key: b(`p/${String(i).padStart(3, '0')}`), value: b(VALUE) });
      ok(await c.request('txn', { compare: [], success, failure: [] }));
      const whole = await c.request('range', { key: RANGE_END_ALL, rangeEnd: RANGE_END_ALL });
      expect(whole.ok ? 'ok' : whole.error.code).toBe('ResponseTooLarge');
    } finally {
      c.close();
    }
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const kite = async (args: string[]): Promise<string> => {
    const r = await runKite([...args, '--endpoints', endpoint], process.env);
    if (r.code !== 0) throw new Error(`kite ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  it('get --prefix returns every key', async () => {
    const out = JSON.parse(await kite(['get', '--prefix', 'p/', '-w', 'json'])) as { count: number; more: boolean; kvs: unknown[] };
    expect(out.kvs).toHaveLength(KEYS);
    expect(out.count).toBe(KEYS);
    expect(out.more).toBe(false);
    const limited = JSON.parse(await kite(['get', '--prefix', 'p/', '--limit', '20', '-w', 'json'])) as { more: boolean; kvs: unknown[] };
    expect(limited.kvs).toHaveLength(20);
    expect(limited.more).toBe(true);
  });

  it('snapshot save writes every key', async () => {
    const file = path.join(dir, 'snap.jsonl');
    await kite(['snapshot', 'save', '--format', 'jsonl', file]);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t?: string; keys?: number });
    expect(lines.filter((l) => l.t === 'kv')).toHaveLength(KEYS);
    expect(lines[lines.length - 1]?.keys).toBe(KEYS);
  });
});
