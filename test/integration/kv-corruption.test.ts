// Silent corruption of a follower's store (the hardening issue, item 5). LevelDB, as Kite opens
// it, reads table files without verifying their checksums: one flipped byte in a value came
// back as a different value, and a lost block made records vanish, so the member started and
// answered acknowledged keys wrongly or as absent. Now the store checksums every record and
// counts them: the member refuses to start (exit 3) naming the database, the damaged record
// and the table file whose block checksums fail, and says how to recover; the healthy majority keeps serving, and `kite endpoint
// hashkv` shows the healthy replicas agree.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelBackend } from '@kite/kvstore';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const EXIT_DATA_DIR = 3;
/** A refused start must end well within this. */
const REFUSAL_MS_MAX = 20_000;
const KEYS = 120;
const VALUE_BYTES = 224;
const KITE_CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

const keyOf = (i: number): string => `z/${String(i).padStart(4, '0')}`;

/** A deterministic value that does not compress: LevelDB then stores its bytes as they are. */
function valueOf(i: number): Uint8Array {
  const out = new Uint8Array(VALUE_BYTES);
  for (let at = 0, n = 0; at < VALUE_BYTES; at += 32, n++) out.set(createHash('sha256').update(`${i}/${n}`).digest().subarray(0, VALUE_BYTES - at), at);
  return out;
}

/** The store's change-record key for revision main.0 (kvstore's layout: 'r' + u64 main + u64 sub). */
function revisionKey(main: number): Uint8Array {
  const key = Buffer.alloc(17);
  key[0] = 0x72;
  key.writeBigUInt64BE(BigInt(main), 1);
  return key;
}

describe('a corrupt follower store', () => {
  let cluster: Cluster;
  let writer: WireClient;
  let n3Dir: string;
  let backup: string;
  /** Revision at which key i was written. */
  const revisionOf = new Map<number, number>();

  function activeKvDb(): string {
    const kv = path.join(n3Dir, 'kv');
    return path.join(kv, readFileSync(path.join(kv, 'ACTIVE'), 'utf8').trim());
  }

  function restoreN3(): void {
    rmSync(n3Dir, { recursive: true, force: true });
    cpSync(backup, n3Dir, { recursive: true });
  }

  /** Starts n3 on its damaged dir; it must refuse with exit 3, naming what and how to recover. */
  async function expectRefusal(detail: RegExp): Promise<string> {
    const logBefore = cluster.log('n3').length;
    cluster.start('n3');
    const timeout = new Promise<'hang'>((r) => setTimeout(() => r('hang'), REFUSAL_MS_MAX).unref());
    const code = await Promise.race([cluster.exited('n3'), timeout]);
    const log = cluster.log('n3').slice(logBefore);
    if (code !== EXIT_DATA_DIR) {
      // Show what the started member serves before stopping it (the failure before the fix).
      const served = await serializableValues('n3').catch((err: unknown) => `(unreadable: ${(err as Error).message})`);
      await cluster.kill('n3', 'SIGKILL');
      expect.fail(`n3 did not refuse (exit ${String(code)}); it served ${served}; log:\n${log.slice(-2000)}`);
    }
    expect(log).toContain('cannot start');
    expect(log).toContain('CorruptDataDir');
    expect(log).toContain(path.join(n3Dir, 'kv'));
    expect(log).toMatch(detail);
    expect(log).toContain('kite member remove');
    expect(log).toContain('--initial-cluster-state existing');
    expect(log).not.toContain('kite member started');
    expect(log).not.toMatch(/"type":"Buffer"/); // no msgpack buffer dump
    return log;
  }

  /** A summary of what `name` answers for the keys, serializably (from its own store). */
  async function serializableValues(name: string): Promise<string> {
    const c = await WireClient.connect(cluster.clientUrl(name));
    try {
      const got = ok(await c.request('range', { key: b('z/'), rangeEnd: b('z0'), serializable: true }));
      const wrong = got.kvs.filter((kv) => !Buffer.from(kv.value).equals(Buffer.from(valueOf(Number(str(kv.key).slice(2))))));
      return `${got.kvs.length} of ${KEYS} keys, ${wrong.length} with a wrong value`;
    } finally {
      c.close();
    }
  }

  async function hashkv(endpoints: readonly string[], revision: number): Promise<{ endpoint: string; hash?: number; hashRevision?: number; error?: string }[]> {
    const { stdout } = await promisify(execFile)(process.execPath, [KITE_CLI, 'endpoint', 'hashkv', '--endpoints', endpoints.join(','), '--rev', String(revision), '-w', 'json'], { timeout: 30_000 });
    return JSON.parse(stdout) as { endpoint: string; hash?: number; hashRevision?: number }[];
  }

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    writer = await WireClient.connect(cluster.clientUrl('n1'));
    for (let i = 0; i < KEYS; i++) revisionOf.set(i, ok(await writer.request('put', { key: b(keyOf(i)), value: valueOf(i) })).header.revision);
    const target = (await cluster.status('n1')).applied;
    await waitFor('n3 to catch up', 15_000, async () => ((await cluster.status('n3')).applied >= target ? true : undefined));
    // A restart turns the store's LevelDB log into a table file (.ldb), where the records sit.
    expect(await cluster.kill('n3', 'SIGTERM')).toBe(0);
    cluster.start('n3');
    await cluster.waitHealthy('n3');
    expect(await cluster.kill('n3', 'SIGTERM')).toBe(0);
    n3Dir = cluster.member('n3').dataDir;
    backup = path.join(cluster.root, 'n3.backup');
    cpSync(n3Dir, backup, { recursive: true });
  });
  afterAll(async () => {
    writer?.close();
    await cluster?.stop();
  });

  /** Flips one bit inside key i's value where n3's table file holds it; returns the file. */
  function flipValueBit(i: number): string {
    const db = activeKvDb();
    const needle = Buffer.from(valueOf(i));
    const tables = readdirSync(db).filter((f) => f.endsWith('.ldb')).map((f) => path.join(db, f));
    const file = tables.find((f) => readFileSync(f).includes(needle));
    if (file === undefined) throw new Error(`no table file of ${db} holds key ${i}'s value as written: ${readdirSync(db).join(' ')}`);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(needle) + 100;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(file, bytes);
    return file;
  }

  it('refuses to start after one byte of a value flipped in a table file', async () => {
    const file = flipValueBit(60);
    const log = await expectRefusal(new RegExp(`change record at revision ${revisionOf.get(60)}\\.0: checksum mismatch`));
    // The table file whose block checksum fails is named too.
    expect(log).toContain(`damaged table files: ${file} (data block at byte`);
  });

  it('refuses to start when records vanished from the store (as a lost table block drops them)', async () => {
    restoreN3();
    const raw = await LevelBackend.open(path.join(n3Dir, 'kv'));
    try {
      await raw.write([10, 11, 12].map((i) => ({ type: 'del' as const, key: revisionKey(revisionOf.get(i) as number) })), { sync: true });
    } finally {
      await raw.close();
    }
    await expectRefusal(/3 change records are missing: the tally says \d+, the store holds \d+/);
  });

  it('stops a running member that reads a damaged record (Corrupt, exit 3)', async () => {
    restoreN3();
    cluster.start('n3');
    await cluster.waitHealthy('n3');
    // Key 30's first value now lives only in n3's table file (history), not in its memory.
    const first = revisionOf.get(30) as number;
    const newer = ok(await writer.request('put', { key: b(keyOf(30)), value: b('newer') })).header.revision;
    await waitFor('n3 to apply the newer value', 15_000, async () => ((await cluster.status('n3')).revision >= newer ? true : undefined));
    flipValueBit(30);
    const n3 = await WireClient.connect(cluster.clientUrl('n3'));
    try {
      const reply = await n3.request('range', { key: b(keyOf(30)), revision: first, serializable: true });
      expect(reply.ok ? 'served' : reply.error.code).toBe('Corrupt');
    } finally {
      n3.close();
    }
    const code = await Promise.race([cluster.exited('n3'), new Promise<'hang'>((r) => setTimeout(() => r('hang'), REFUSAL_MS_MAX).unref())]);
    expect(code).toBe(EXIT_DATA_DIR);
    expect(cluster.log('n3')).toMatch(new RegExp(`CorruptDataDir: data dir .*change record at revision ${first}\\.0: checksum mismatch; stopping this member`));
  });

  it('keeps serving from the healthy majority, whose hashes agree (kite endpoint hashkv)', async () => {
    ok(await writer.request('put', { key: b('z/after'), value: b('still served') }));
    const n2 = await WireClient.connect(cluster.clientUrl('n2'));
    try {
      const got = ok(await n2.request('range', { key: b('z/after') }));
      expect(got.kvs.map((kv) => str(kv.value))).toEqual(['still served']);
      const revision = got.header.revision;
      await waitFor('n1 and n2 at the same revision', 10_000, async () =>
        ((await cluster.status('n1')).revision >= revision && (await cluster.status('n2')).revision >= revision ? true : undefined));
      const rows = await hashkv([cluster.clientUrl('n1'), cluster.clientUrl('n2')], revision);
      expect(rows.map((r) => [r.endpoint, r.hashRevision, r.error])).toEqual([
        [cluster.clientUrl('n1'), revision, undefined],
        [cluster.clientUrl('n2'), revision, undefined],
      ]);
      expect(rows[0]?.hash).toBe(rows[1]?.hash);
      // The hash covers the values: an older revision, before the last put, hashes differently.
      const before = await hashkv([cluster.clientUrl('n1')], revision - 1);
      expect(before[0]?.hash).not.toBe(rows[0]?.hash);
    } finally {
      n2.close();
    }
  });
});
