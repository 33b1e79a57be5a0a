// etcd's Maintenance service on Kite's ops: Alarm (alarm list / disarm), Status, Defragment,
// Hash and HashKV (Kite's hash op), Snapshot (this member's backup stream), MoveLeader.
//
// Hashes: Kite's hash is a CRC-32 of the live key space at a revision (keys, values,
// revisions, versions, leases, and the revision), the same on every replica with the same
// history and unchanged by compaction at or below it. It is not etcd's number: etcd hashes
// its bolt file (Hash) or every key revision kept between the compacted revision and the
// asked one (HashKV). Compare Kite members with each other, never with an etcd member.
//
// Snapshot: the stream carries the bytes of a `kite snapshot save` file (backup-file.ts: a
// header, the store's records, a SHA-256 of everything before it), not a bolt database.
// `etcdctl snapshot save` stores it verbatim (3.4 checks nothing on save); `etcdctl snapshot
// status` and `restore` cannot read it (they open it as bolt), `kite snapshot status` and
// `kite snapshot restore` can. remaining_bytes is exact (0) on the last message and a lower
// bound before it: the file's size is known only once the store has been read through.

import { ALARM_TYPES, KiteError, type AlarmType } from '@kite/protocol';
import { KITE_VERSION } from '../op-server.js';
import type { EtcdCallContext } from './etcd-context.js';
import { int64Of } from './etcd-values.js';
import type { EtcdMessage, ServiceHandlers, StreamHandler } from './handlers.js';
import type { SnapshotStream } from '../client-handler.js';
import { EtcdError } from './etcd-status-error.js';
import { memberIdArg, memberIdOut, withEtcdErrors, type EtcdErrorRule, type EtcdOps } from './service-call.js';

/** The etcd API version this door speaks; Kite's own version rides along as build metadata. */
export const ETCD_API_VERSION = `3.4.0+kite.${KITE_VERSION}`;
/** Blob bytes per Snapshot message (etcd sends 32 KiB; Kite's pieces are up to ~1 MiB). */
export const SNAPSHOT_BLOB_BYTES_MAX = 64 * 1024;

export const MAINTENANCE_ERROR_RULES: readonly EtcdErrorRule[] = [
  { code: 'InvalidArgument', match: /^member \S+ not found$/, grpcCode: 'NOT_FOUND', message: 'etcdserver: member not found' },
  { code: 'InvalidArgument', match: /is not a voting member$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: bad leader transferee' },
];

export function maintenanceService(memberOps: EtcdOps): ServiceHandlers {
  const ops = withEtcdErrors(memberOps, MAINTENANCE_ERROR_RULES);
  return {
    unary: {
      Alarm: (req, ctx) => alarm(ops, req, ctx),
      Status: async (_req, ctx) => {
        const { header, result: st } = await ops.run(ctx, 'status', {});
        return {
          header,
          version: ETCD_API_VERSION,
          dbSize: String(st.dbSize),
          // Kite measures the store's files only: in-use equals allocated.
          dbSizeInUse: String(st.dbSizeInUse ?? st.dbSize),
          leader: memberIdOut(st.leader),
          raftIndex: String(st.raftIndex),
          raftTerm: String(st.raftTerm),
          raftAppliedIndex: String(st.raftAppliedIndex),
          errors: [...(st.leader === null ? ['etcdserver: no leader'] : []), ...st.errors.map((e) => `alarm:${e}`)],
          isLearner: st.isLearner,
        };
      },
      Defragment: async (_req, ctx) => ({ header: (await ops.run(ctx, 'defrag', {})).header }),
      Hash: async (_req, ctx) => {
        const { header, result } = await ops.run(ctx, 'hash', {});
        return { header, hash: result.hash };
      },
      HashKV: async (req, ctx) => {
        const revision = int64Of(req, 'revision');
        if (revision < 0) throw new KiteError('InvalidArgument', 'revision must be >= 0');
        const { header, result } = await ops.run(ctx, 'hash', { revision });
        return { header, hash: result.hash, compact_revision: String(result.compactRevision), hash_revision: String(result.hashRevision) };
      },
      MoveLeader: async (req, ctx) => {
        const targetId = memberIdArg(req['targetID']);
        if (targetId === null) throw new EtcdError('FAILED_PRECONDITION', 'etcdserver: bad leader transferee');
        return { header: (await ops.run(ctx, 'moveLeader', { targetId })).header };
      },
    },
    streams: { Snapshot: snapshotStream(ops) },
  };
}

async function alarm(ops: EtcdOps, req: EtcdMessage, ctx: EtcdCallContext): Promise<EtcdMessage> {
  const action = req['action'] ?? 'GET';
  const toEtcd = (alarms: readonly { memberId: string; alarm: AlarmType }[]): EtcdMessage[] =>
    alarms.map((a) => ({ memberID: memberIdOut(a.memberId), alarm: a.alarm }));
  switch (action) {
    case 'GET': {
      const { header, result } = await ops.run(ctx, 'alarm', { action: 'list' });
      return { header, alarms: toEtcd(result.alarms) };
    }
    case 'DEACTIVATE': {
      const memberId = memberIdArg(req['memberID']);
      const type = alarmType(req['alarm']);
      // etcd deactivates one member's one alarm; naming none deactivates nothing.
      if (memberId === null || type === null) return { header: ops.header(), alarms: [] };
      const { header, result } = await ops.run(ctx, 'alarm', { action: 'disarm', memberId, alarm: type });
      return { header, alarms: toEtcd(result.alarms) };
    }
    case 'ACTIVATE': {
      const memberId = memberIdArg(req['memberID']);
      const type = alarmType(req['alarm']);
      // etcd ignores an activation of NONE.
      if (type === null) return { header: ops.header(), alarms: [] };
      if (memberId === null) throw new EtcdError('NOT_FOUND', 'etcdserver: member not found');
      const { header, result } = await ops.run(ctx, 'alarm', { action: 'activate', memberId, alarm: type });
      return { header, alarms: toEtcd(result.alarms) };
    }
    default:
      throw new KiteError('InvalidArgument', `unknown alarm action ${String(action).slice(0, 40)}`);
  }
}

/** NONE (or absent) is no alarm. */
function alarmType(value: unknown): AlarmType | null {
  if (value === undefined || value === 'NONE') return null;
  if (typeof value === 'string' && (ALARM_TYPES as readonly string[]).includes(value)) return value as AlarmType;
  throw new KiteError('InvalidArgument', `unknown alarm type ${String(value).slice(0, 40)}`);
}

function snapshotStream(ops: EtcdOps): StreamHandler {
  return (ctx, send, end) => {
    let snapshot: SnapshotStream | null = null;
    let closed = false;
    let resume: (() => void) | null = null;
    const finish = (err?: unknown): void => {
      if (closed) return;
      closed = true;
      end(err);
    };
    // Waits while the transport's buffer is past its mark, so at most one piece is held here.
    const sendPaced = async (resp: EtcdMessage): Promise<void> => {
      if (send(resp) || closed) return;
      await new Promise<void>((resolve) => (resume = resolve));
    };
    return {
      write() {
        // The one request opens the stream (etcd's Snapshot is server-streaming).
        if (snapshot !== null || closed) return;
        try {
          snapshot = ops.openSnapshot(ctx);
        } catch (err) {
          finish(err);
          return;
        }
        const opened = snapshot;
        pumpSnapshot(ops, opened.chunks, sendPaced, () => closed).then(
          () => finish(),
          (err: unknown) => {
            opened.cancel();
            finish(err);
          },
        );
      },
      drained() {
        const r = resume;
        resume = null;
        r?.();
      },
      close() {
        if (closed) return;
        closed = true;
        snapshot?.cancel();
        // A pump waiting for room sees `closed` and stops.
        const r = resume;
        resume = null;
        r?.();
      },
    };
  };
}

/** Sends the file's pieces as blobs of at most SNAPSHOT_BLOB_BYTES_MAX, one piece read ahead. */
async function pumpSnapshot(
  ops: EtcdOps,
  pieces: AsyncGenerator<Uint8Array>,
  send: (resp: EtcdMessage) => Promise<void>,
  isClosed: () => boolean,
): Promise<void> {
  let next = await pieces.next();
  while (next.done !== true && !isClosed()) {
    const piece = next.value;
    next = await pieces.next();
    const ahead = next.done === true ? 0 : next.value.byteLength;
    for (let at = 0; at < piece.byteLength && !isClosed(); at += SNAPSHOT_BLOB_BYTES_MAX) {
      const blob = piece.subarray(at, Math.min(piece.byteLength, at + SNAPSHOT_BLOB_BYTES_MAX));
      const remaining = piece.byteLength - at - blob.byteLength + ahead;
      await send({ header: ops.header(), remaining_bytes: String(remaining), blob: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength) });
    }
  }
}
