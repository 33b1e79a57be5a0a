// snapshot save FILE: a consistent logical snapshot of the keyspace. Every key is read at
// one revision R (pages of up to SNAPSHOT_PAGE_KEYS, all pinned to R so concurrent writes do
// not tear it, halved when a member refuses a page as over its reply budget), plus the live
// leases, into a JSON-lines file written to FILE.part and renamed when complete, with a
// SHA-256 of the body on the last line.
// (The wire protocol has no backend-streaming op; this is the portable equivalent.)
import { createHash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { KiteClient as Client } from '@kite/client';
import { RANGE_END_ALL as ALL } from '@kite/protocol';
import { humanBytes, putBytesField } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { json } from '../output/format-kv.js';
import { pagedRange } from '../paged-range.js';
import { withClient } from '../run.js';

export const SNAPSHOT_PAGE_KEYS = 1000;
export const SNAPSHOT_FORMAT = 'kite-logical-snapshot/1';

async function saveSnapshot(c: Client, file: string): Promise<{ keys: number; revision: number; bytes: number }> {
  const first = await c.get(ALL, { rangeEnd: ALL, limit: 1, keysOnly: true });
  const revision = first.header.revision;
  const tmp = `${file}.part`;
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  const write = async (obj: unknown): Promise<void> => {
    const line = `${JSON.stringify(obj)}\n`;
    hash.update(line);
    if (!out.write(line)) await once(out, 'drain');
  };
  let keys = 0;
  try {
    await write({ format: SNAPSHOT_FORMAT, revision, clusterId: first.header.clusterId, memberId: first.header.memberId, createdAt: new Date().toISOString() });
    for await (const page of pagedRange(c, ALL, { rangeEnd: ALL, revision, pageKeys: SNAPSHOT_PAGE_KEYS })) {
      for (const kv of page.kvs) {
        const rec: Record<string, unknown> = { t: 'kv' };
        putBytesField(rec, 'key', kv.key);
        putBytesField(rec, 'value', kv.value);
        Object.assign(rec, { createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease });
        await write(rec);
        keys++;
      }
    }
    for (const l of (await c.lease.list()).leases) {
      const ttl = await c.lease.timeToLive(l.id, { keys: false });
      if (ttl.ttl > 0) await write({ t: 'lease', id: l.id, grantedTtl: ttl.grantedTtl, ttl: ttl.ttl });
    }
    const trailer = `${JSON.stringify({ t: 'end', keys, sha256: hash.digest('hex') })}\n`;
    out.write(trailer);
    out.end();
    await once(out, 'finish');
    renameSync(tmp, file);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  return { keys, revision, bytes: statSync(file).size };
}

export function registerSnapshot(program: Command): void {
  const snap = program.command('snapshot').description('snapshot save FILE');
  withConnFlags(snap.command('save').description('save FILE: a consistent logical snapshot (all keys at one revision, and leases)').argument('<file>'))
    .action(async (file: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      const r = await saveSnapshot(c, file);
      print(ctx.format === 'json'
        ? json({ file, ...r, format: SNAPSHOT_FORMAT })
        : `Snapshot saved at ${file}: ${r.keys} keys at revision ${r.revision} (${humanBytes(r.bytes)})\n`);
    }));
}
