// Receiving a snapshot streamed by the leader: each chunk is staged (snapshot-files.ts) and the
// complete, durable file is handed to the host (the install's `staged` state, snapshot-install.ts),
// which steps the installSnapshot message and so records the snapshot in the Raft log.
//
// A full disk (ENOSPC/EDQUOT) while staging stops the member like any other full disk
// (disk-full.ts: `disk full: <file>`, exit 6) instead of being logged while the leader resends
// forever. The failed stream's file is already dropped and nothing reaches the host, so the Raft
// log never records that snapshot. Other failures are thrown to the peer transport, which logs
// them; the leader sends the snapshot again.

import type { PeerSnapshotChunk } from '@kite/protocol';
import { diskFullPath } from './disk-full.js';
import { checkRaftMessage } from './raft-message-check.js';
import type { SnapshotFiles } from './snapshot-files.js';

export interface SnapshotReceiver {
  readonly files: SnapshotFiles;
  readonly selfId: string;
  /** Hands a complete staged file to the host (Host.snapshotStaged). */
  readonly staged: (from: string, metadata: unknown, file: string) => void;
  /** Stops the member on a full disk (KiteServer's fatal path). */
  readonly diskFull: (err: unknown) => void;
}

/** Stages one chunk from `from`; on the last one, hands the file to the host. */
export async function receiveSnapshotChunk(r: SnapshotReceiver, from: string, chunk: PeerSnapshotChunk): Promise<void> {
  let done: { metadata: unknown; path: string } | null;
  try {
    done = await r.files.addChunk(from, chunk, (md) => {
      const m = checkRaftMessage(md, from, r.selfId);
      if (m === null || m.type !== 'installSnapshot') throw new Error('snapshot stream without a valid installSnapshot message');
      return m.snapshot.metadata.index;
    });
  } catch (err) {
    if (diskFullPath(err, '') === null) throw err;
    r.diskFull(err);
    return;
  }
  if (done === null) return;
  r.staged(from, done.metadata, done.path);
}
