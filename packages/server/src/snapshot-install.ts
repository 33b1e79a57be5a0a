// The install of a snapshot streamed by the leader, as ONE state machine. Per snapshot index X:
//
//   staged ──record──▶ recorded ──restore──▶ restored ──prune──▶ pruned
//
//   staged    snap/snap-<X>.snap is complete and durable: fsynced, renamed from its .part file,
//             the rename fsynced in the directory (SnapshotFiles.addChunk). Nothing refers to
//             it yet; the core is handed the installSnapshot message only now.
//   recorded  the Raft log holds snapshot X: one synced WAL write that also drops every older
//             entry (Host.persist). Allowed only while the staged file is present or the store
//             is already at >= X (beforeRecord): the log never records a snapshot the store
//             could not be rebuilt from.
//   restored  the store is at >= X, durably: KvStore.restore builds a new database from the
//             file, flushes it and switches ACTIVE to it, all or nothing.
//   pruned    staged files for indexes <= X are removed and the removal fsynced in the
//             directory. NEVER newer ones: a newer snapshot may be staged already and its
//             record persisted next (jepsen finding F3).
//
// Each transition is durable before the next starts, so the state can be read back from the
// disk alone (stateOnDisk) and a restart resumes from it (resume):
//   the log records X, the store is < X, snap-<X>.snap present  -> recorded: restore, then prune
//   the store is >= X, staged files present                     -> restored (files <= X) or
//                                                                   staged, never recorded
//                                                                   (files > X): prune them all,
//                                                                   the leader sends again
//   nothing staged                                              -> pruned (or no install)
//   the log records X, the store is < X, no file                -> lost: CorruptDataDir
// Invariant: whenever the Raft log records snapshot X, the store is at >= X or snap-<X>.snap is
// durably present. A transition out of order is an assertion (it crashes the member). The
// failpoints of the same names (failpoints.ts) fire right after each transition of a live install.

import { DataDirError } from './data-dir-error.js';
import { failpoint } from './failpoints.js';
import type { KvPort } from './kv-port.js';
import type { Logger } from './logger.js';
import type { MutantName } from './mutants.js';
import type { SnapshotFiles } from './snapshot-files.js';

export type InstallState = 'staged' | 'recorded' | 'restored' | 'pruned';

/** What the disk says about installs after a restart (see the header's table). */
export type DiskInstallState = { readonly state: InstallState; readonly index: number } | { readonly state: 'lost'; readonly index: number };

export interface InstallDisk {
  /** The snapshot index the Raft log records; 0 when the store needs nothing restored (bootstrap). */
  readonly recordedIndex: number;
  readonly storeAppliedIndex: number;
  /** Indexes of the staged files present (snap-<index>.snap). */
  readonly stagedIndexes: readonly number[];
}

/** The state the disk is in: a pure function of what a restart finds. */
export function stateOnDisk(d: InstallDisk): DiskInstallState {
  const x = d.recordedIndex;
  if (d.storeAppliedIndex < x) return { state: d.stagedIndexes.includes(x) ? 'recorded' : 'lost', index: x };
  if (d.stagedIndexes.some((i) => i <= x)) return { state: 'restored', index: x };
  const newest = Math.max(0, ...d.stagedIndexes);
  if (newest > x) return { state: 'staged', index: newest };
  return { state: 'pruned', index: x };
}

export interface SnapshotInstallDeps {
  readonly files: SnapshotFiles;
  readonly kv: Pick<KvPort, 'appliedIndex' | 'restore'>;
  readonly log: Logger;
  /** prune-snapshot-before-record (mutants.ts) lives here; null in production. */
  readonly mutant: MutantName | null;
}

interface Install {
  readonly file: string;
  state: InstallState;
}

export class SnapshotInstall {
  /** Live installs by snapshot index, until pruned (several may be staged at once). */
  private readonly installs = new Map<number, Install>();

  constructor(private readonly deps: SnapshotInstallDeps) {}

  /** The state of the install of `index` in this incarnation (undefined: none, or pruned). */
  stateOf(index: number): InstallState | undefined {
    return this.installs.get(index)?.state;
  }

  /** -> staged: the streamed file for `index` is durable; the caller hands the message to the core next. */
  staged(index: number, file: string): void {
    failpoint('snapshot-staged');
    // The same index streamed again (a retried send) never moves a further install back:
    // the core refuses the repeat anyway, its index being committed by then.
    if ((this.installs.get(index)?.state ?? 'staged') === 'staged') this.installs.set(index, { file, state: 'staged' });
  }

  /**
   * Called right before the WAL write that records snapshot `index`. Throws (an assertion: the
   * member stops with nothing persisted, which is restart-safe) when the store could not be
   * rebuilt from what is on disk once the log holds the snapshot.
   */
  async beforeRecord(index: number): Promise<void> {
    const file = this.fileFor(index);
    if (this.deps.kv.appliedIndex < index && !this.deps.files.has(file)) {
      throw new Error(`assertion: snapshot ${index} is about to be recorded but its staged file ${file} is missing`);
    }
    if (this.deps.mutant === 'prune-snapshot-before-record') await this.deps.files.prune(index);
  }

  /** staged -> recorded: the WAL write holding snapshot `index` returned (synced). */
  recorded(index: number): void {
    this.move(index, 'staged', 'recorded');
    failpoint('snapshot-recorded');
  }

  /**
   * recorded -> restored -> pruned. The caller waited for every earlier apply, so nothing after
   * the snapshot is applied before it.
   */
  async complete(index: number): Promise<void> {
    const file = this.fileFor(index);
    await this.restore(index, file);
    this.move(index, 'recorded', 'restored');
    failpoint('snapshot-restored');
    await this.deps.files.prune(index);
    this.move(index, 'restored', 'pruned');
    // Older installs were superseded (their files are gone with this prune).
    for (const i of [...this.installs.keys()]) if (i <= index) this.installs.delete(i);
    failpoint('snapshot-pruned');
  }

  /**
   * At start, before anything is applied: finishes what the disk says was interrupted.
   * `recordedIndex` is the Raft log's snapshot index, or 0 when the store needs nothing
   * restored to match it (the bootstrap snapshot holds an empty store; the host replayed the
   * log tail). Returns the state the disk was in.
   */
  async resume(recordedIndex: number): Promise<DiskInstallState> {
    const at = stateOnDisk({ recordedIndex, storeAppliedIndex: this.deps.kv.appliedIndex, stagedIndexes: this.deps.files.stagedIndexes() });
    if (at.state === 'lost') {
      const file = this.deps.files.pathFor(at.index);
      throw new DataDirError('CorruptDataDir', `the store is at index ${this.deps.kv.appliedIndex} but the raft log starts after snapshot ${at.index} and ${file} is missing`);
    }
    if (at.state === 'recorded') {
      this.deps.log.info({ index: at.index }, 'finishing an interrupted snapshot install');
      await this.restore(at.index, this.deps.files.pathFor(at.index));
    }
    // Files newer than the record were never recorded: nothing refers to them, the leader
    // sends such a snapshot again.
    if (at.state !== 'pruned') await this.deps.files.prune(null);
    return at;
  }

  private async restore(index: number, file: string): Promise<void> {
    if (this.deps.kv.appliedIndex >= index) return;
    await this.deps.kv.restore(this.deps.files.read(file));
    if (this.deps.kv.appliedIndex < index) throw new Error(`assertion: store at ${this.deps.kv.appliedIndex} after restoring snapshot ${index}`);
  }

  /** The staged file of `index` (the path the stream was staged under, else the standard one). */
  private fileFor(index: number): string {
    return this.installs.get(index)?.file ?? this.deps.files.pathFor(index);
  }

  private move(index: number, from: InstallState, to: InstallState): void {
    const install = this.installs.get(index);
    if (install?.state !== from) throw new Error(`assertion: snapshot install ${index} moves to ${to} from ${install?.state ?? 'nothing'}, not from ${from}`);
    install.state = to;
  }
}
