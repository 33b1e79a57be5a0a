// kite snapshot save | status | restore: backup and disaster recovery (etcdctl snapshot save,
// etcdutl snapshot status/restore).
// - save FILE: one member's store streamed by the `snapshot` op (client.snapshot()) into a
//   backup file (server backup-file.ts: header, kvstore snapshot chunks, SHA-256 trailer),
//   written to FILE.part, fsynced, verified, then renamed (and the directory fsynced), so FILE
//   is complete or absent.
//   `--format jsonl` keeps the older logical export (every key at one revision read in pages
//   pinned to it, plus live leases, as JSON lines with a SHA-256 line); restore reads only
//   the binary format.
// - status FILE: verifies the file and prints revision, keys, hash (`endpoint hashkv`'s at that
//   revision) and size; works offline.
// - restore FILE: one member's data dir of a NEW cluster from the file (server
//   restore-data-dir.ts); run once per member with the same file and flags, then start them.
import { createHash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Command } from 'commander';
import type { KiteClient as Client } from '@kite/client';
import { RANGE_END_ALL as ALL } from '@kite/protocol';
import { backupStatus, parseInitialCluster, restoreDataDir, syncDir, verifyBackupFile, type BackupStatus } from '@kite/server';
import { humanBytes, putBytesField } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseOutputFormat } from '../flags.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { pagedRange } from '../paged-range.js';
import { reportError, withClient } from '../run.js';

export const SNAPSHOT_PAGE_KEYS = 1000;
export const SNAPSHOT_FORMAT = 'kite-logical-snapshot/1';

async function saveLogical(c: Client, file: string): Promise<{ keys: number; revision: number; bytes: number }> {
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

/** Streams one member's backup into FILE.part, fsyncs, verifies the trailer, renames to FILE. */
async function saveBinary(c: Client, endpoint: string, file: string): Promise<{ revision: number; bytes: number }> {
  const tmp = `${file}.part`;
  const fh = await open(tmp, 'w');
  try {
    for await (const chunk of c.snapshot(endpoint)) await fh.write(chunk);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    const v = await verifyBackupFile(tmp);
    renameSync(tmp, file);
    await syncDir(path.dirname(path.resolve(file)));
    return { revision: v.header.revision, bytes: v.sizeBytes };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Commands that work on files only: errors become a message and exit code, like withClient's. */
async function offline(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function statusText(file: string, s: BackupStatus, format: string): string {
  const row = { revision: s.revision, totalKeys: s.totalKeys, hash: s.hash, hashRevision: s.hashRevision, sizeBytes: s.sizeBytes };
  if (format === 'json') return json({ file, ...row, compactRevision: s.compactRevision, appliedIndex: s.appliedIndex, clusterId: s.clusterId, memberId: s.memberId, createdAt: s.createdAt, sha256: s.sha256 });
  if (format === 'table') {
    return renderTable(['hash', 'revision', 'total keys', 'total size'], [[String(s.hash), String(s.revision), String(s.totalKeys), humanBytes(s.sizeBytes)]]);
  }
  return `${s.hash}, ${s.revision}, ${s.totalKeys}, ${humanBytes(s.sizeBytes)}\n`;
}

interface RestoreFlags {
  readonly clusterToken?: string;
  readonly name?: string;
  readonly initialCluster?: string;
  readonly initialClusterToken?: string;
  readonly dataDir?: string;
  readonly initialAdvertisePeerUrls?: string;
}

function restoreConfig(flags: RestoreFlags): { name: string; initialCluster: ReturnType<typeof parseInitialCluster>; clusterToken: string; dataDir: string } {
  if (flags.clusterToken !== undefined && flags.initialClusterToken !== undefined && flags.clusterToken !== flags.initialClusterToken) {
    throw new UsageError('--cluster-token and --initial-cluster-token differ');
  }
  const token = flags.initialClusterToken ?? flags.clusterToken;
  const f: RestoreFlags = { ...flags, ...(token !== undefined ? { initialClusterToken: token } : {}) };
  const missing = (['name', 'initialCluster', 'initialClusterToken', 'dataDir'] as const).filter((k) => f[k] === undefined || f[k] === '');
  if (missing.length > 0) throw new UsageError(`snapshot restore needs ${missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  const problems: string[] = [];
  const initialCluster = parseInitialCluster(f.initialCluster as string, problems);
  const self = initialCluster.find((m) => m.name === f.name);
  if (self === undefined) problems.push(`--name ${f.name} is not in --initial-cluster`);
  else if (f.initialAdvertisePeerUrls !== undefined && !f.initialAdvertisePeerUrls.split(',').includes(self.peerUrl)) {
    problems.push(`--initial-cluster gives ${f.name}=${self.peerUrl} but --initial-advertise-peer-urls is ${f.initialAdvertisePeerUrls}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return { name: f.name as string, initialCluster, clusterToken: f.initialClusterToken as string, dataDir: f.dataDir as string };
}

export function registerSnapshot(program: Command): void {
  const snap = program.command('snapshot').description('snapshot save | status | restore: backups and disaster recovery');
  withConnFlags(
    snap.command('save')
      .description('save FILE: a consistent binary backup of one member\'s store (the first endpoint), for snapshot restore')
      .argument('<file>')
      .option('--format <format>', 'binary (restorable) or jsonl (a logical export of keys and leases)', 'binary'),
  ).action(async (file: string, f: ConnFlags & { format?: string }) => withClient(f, async (open, ctx) => {
    const format = parseChoice('--format', f.format ?? 'binary', ['binary', 'jsonl'] as const);
    const c = await open();
    if (format === 'jsonl') {
      const r = await saveLogical(c, file);
      print(ctx.format === 'json'
        ? json({ file, ...r, format: SNAPSHOT_FORMAT })
        : `Snapshot saved at ${file}: ${r.keys} keys at revision ${r.revision} (${humanBytes(r.bytes)})\n`);
      return;
    }
    const endpoint = ctx.endpoints[0] as string;
    const r = await saveBinary(c, endpoint, file);
    print(ctx.format === 'json'
      ? json({ file, endpoint, revision: r.revision, bytes: r.bytes })
      : `Snapshot saved at ${file}: revision ${r.revision} from ${endpoint} (${humanBytes(r.bytes)})\n`);
  }));
  snap.command('status')
    .description('status FILE: verify a backup and print its hash, revision, total keys and size (offline)')
    .argument('<file>')
    .option('-w, --write-out <format>', 'output format: simple, json or table', 'table')
    .action(async (file: string, f: { writeOut?: string }) => offline(async () => {
      const format = parseOutputFormat(f.writeOut);
      print(statusText(file, await backupStatus(file), format));
    }));
  snap.command('restore')
    .description('restore FILE: create one member\'s data dir of a NEW cluster from a backup (run once per member, then start them)')
    .argument('<file>')
    .option('--name <name>', 'this member\'s name in --initial-cluster')
    .option('--initial-cluster <list>', 'the new cluster: name=peerURL,...')
    .option('--initial-cluster-token <token>', 'the new cluster\'s token (its id derives from it): the members\' --cluster-token')
    .option('--cluster-token <token>', 'the same as --initial-cluster-token (kite server\'s name for it)')
    .option('--data-dir <dir>', 'the data dir to create (must not exist or be empty)')
    .option('--initial-advertise-peer-urls <url>', 'this member\'s peer URL (checked against --initial-cluster)')
    .option('-w, --write-out <format>', 'output format: simple or json', 'simple')
    .action(async (file: string, f: RestoreFlags & { writeOut?: string }) => offline(async () => {
      const format = parseOutputFormat(f.writeOut);
      const cfg = restoreConfig(f);
      const r = await restoreDataDir(file, cfg);
      print(format === 'json'
        ? json({ file, dataDir: cfg.dataDir, ...r })
        : `Restored ${file} into ${cfg.dataDir}: member ${r.memberId} of new cluster ${r.clusterId}, revision ${r.revision}, raft index ${r.raftIndex}\n`);
    }));
}
