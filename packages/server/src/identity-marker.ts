// The identity marker, <data-dir>/raft.identity.json: which cluster and member the Raft log
// belongs to, written (fsynced, renamed, directory fsynced) after the log itself holds the
// identity. A marker without a matching identity inside the log means the log lost its
// contents, and the member refuses to start.

import path from 'node:path';
import { DataDirError } from './data-dir-error.js';
import { nodeDisk, type Disk } from './disk.js';

export const IDENTITY_MARKER_FILE = 'raft.identity.json';

export interface MarkedIdentity {
  readonly clusterId: string;
  readonly memberId: string;
  readonly name: string;
}

export function readIdentityMarker(file: string, disk: Disk = nodeDisk): MarkedIdentity | null {
  let text: string;
  try {
    text = disk.readFile(file).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DataDirError('DataDirUnreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const m = JSON.parse(text) as Partial<MarkedIdentity>;
    if (typeof m.clusterId === 'string' && typeof m.memberId === 'string' && typeof m.name === 'string') {
      return { clusterId: m.clusterId, memberId: m.memberId, name: m.name };
    }
  } catch {
    // fall through
  }
  throw new DataDirError('CorruptDataDir', `${file} is malformed`);
}

export function writeIdentityMarker(file: string, identity: MarkedIdentity, disk: Disk = nodeDisk): void {
  const tmp = `${file}.tmp`;
  const f = disk.openSync(tmp, 'create');
  try {
    f.writeSync(Buffer.from(JSON.stringify({ clusterId: identity.clusterId, memberId: identity.memberId, name: identity.name }) + '\n', 'utf8'), 0);
    f.datasyncSync();
  } finally {
    f.closeSync();
  }
  disk.renameSync(tmp, file);
  disk.syncDirSync(path.dirname(file));
}
