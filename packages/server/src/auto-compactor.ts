// Auto-compaction (etcd's --auto-compaction-mode / --auto-compaction-retention): the leader
// proposes compact(revision) on its own so history, and with it the store, stays bounded.
//
// - periodic: keep the history of the last `retentionMs`. Every member samples its current
//   revision every min(retention, 1h)/10; the leader compacts to the newest sample taken at
//   least one retention ago, first one retention after start, then at most once per
//   min(retention, 1h) (etcd's sampling, so a retention of 1h compacts hourly to the revision
//   of an hour ago, and a watcher may resume from anything newer than that).
// - revision: keep the last `retentionRevisions` revisions: every REVISION_CHECK_INTERVAL_MS
//   the leader compacts to current - retention once that passed the last compaction.
//
// Invariants: the planners are pure (time is an argument: the server passes its monotonic
// clock, tests a counter); only the leader proposes; one proposal in flight at a time; no
// compaction while a CORRUPT alarm is armed (the history is evidence); the sample list is
// bounded by retention / sample interval + 2.

import type { AutoCompactionConfig } from './config.js';
import type { MonotonicClock } from './clock.js';
import type { Logger } from './logger.js';

/** Revision mode checks this often (etcd: every 5 min; a check costs one comparison here). */
export const REVISION_CHECK_INTERVAL_MS = 1_000;
/** Periodic sampling and compaction intervals stop growing at this retention (etcd's). */
const PERIOD_CAP_MS = 3_600_000;
/** Samples per retention window (etcd's retryDivisor). */
const SAMPLES_PER_WINDOW = 10;

/** Decides when to compact to what; fed with time and the current revision. */
export interface CompactionPlanner {
  /** `next` wants to be called this often. */
  readonly intervalMs: number;
  /** Records `currentRevision` at `nowMs`; the revision to compact to now, or null. */
  next(nowMs: number, currentRevision: number): number | null;
  /** The store is compacted to `revision` (by this proposal or an earlier one). */
  done(nowMs: number, revision: number): void;
}

interface Sample {
  readonly atMs: number;
  readonly revision: number;
}

export class PeriodicPlanner implements CompactionPlanner {
  readonly intervalMs: number;
  private readonly compactIntervalMs: number;
  private readonly samplesMax: number;
  /** Oldest first; samples[0] is the newest one at least one retention old, once there is one. */
  private readonly samples: Sample[] = [];
  private lastCompactMs: number;
  private compactedOnce = false;
  private lastRevision = 0;

  constructor(private readonly retentionMs: number, startMs: number) {
    if (!(retentionMs > 0)) throw new Error(`assertion: retention ${retentionMs} ms`);
    this.compactIntervalMs = Math.min(retentionMs, PERIOD_CAP_MS);
    this.intervalMs = Math.max(1, Math.floor(this.compactIntervalMs / SAMPLES_PER_WINDOW));
    this.samplesMax = Math.ceil(retentionMs / this.intervalMs) + 2;
    this.lastCompactMs = startMs;
  }

  /** Samples held (bounded; for tests). */
  get sampleCount(): number {
    return this.samples.length;
  }

  next(nowMs: number, currentRevision: number): number | null {
    const last = this.samples.at(-1);
    if (last === undefined || nowMs - last.atMs >= this.intervalMs) this.samples.push({ atMs: nowMs, revision: currentRevision });
    const horizonMs = nowMs - this.retentionMs;
    while (this.samples.length >= 2 && (this.samples[1] as Sample).atMs <= horizonMs) this.samples.shift();
    // Called more often than sampled, with time standing still: never more than the window.
    while (this.samples.length > this.samplesMax) this.samples.shift();
    const waitMs = this.compactedOnce ? this.compactIntervalMs : this.retentionMs;
    if (nowMs - this.lastCompactMs < waitMs) return null;
    const base = this.samples[0];
    if (base === undefined || base.atMs > horizonMs || base.revision <= this.lastRevision) return null;
    return base.revision;
  }

  done(nowMs: number, revision: number): void {
    this.lastCompactMs = nowMs;
    this.compactedOnce = true;
    this.lastRevision = Math.max(this.lastRevision, revision);
  }
}

export class RevisionPlanner implements CompactionPlanner {
  readonly intervalMs = REVISION_CHECK_INTERVAL_MS;
  private lastRevision = 0;

  constructor(private readonly retentionRevisions: number) {
    if (!(retentionRevisions > 0)) throw new Error(`assertion: retention ${retentionRevisions} revisions`);
  }

  next(_nowMs: number, currentRevision: number): number | null {
    const target = currentRevision - this.retentionRevisions;
    return target > 0 && target > this.lastRevision ? target : null;
  }

  done(_nowMs: number, revision: number): void {
    this.lastRevision = Math.max(this.lastRevision, revision);
  }
}

export function plannerFor(config: AutoCompactionConfig, startMs: number): CompactionPlanner {
  return config.mode === 'periodic' ? new PeriodicPlanner(config.retentionMs, startMs) : new RevisionPlanner(config.retentionRevisions);
}

/** What the compactor needs from the member. */
export interface AutoCompactorDeps {
  readonly planner: CompactionPlanner;
  readonly clock: MonotonicClock;
  readonly logger: Logger;
  currentRevision(): number;
  compactRevision(): number;
  /** This member leads and no CORRUPT alarm is armed. */
  mayCompact(): boolean;
  /** Proposes compact(revision) and resolves once applied here; 'compacted': it was already. */
  compact(revision: number): Promise<'ok' | 'compacted'>;
}

/** Runs a planner on a timer; proposes on the leader. */
export class AutoCompactor {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(private readonly deps: AutoCompactorDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.planner.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sampling step (the timer calls it; tests call it step by step). */
  async tick(): Promise<void> {
    if (this.inFlight) return;
    const { planner, clock } = this.deps;
    const target = planner.next(clock(), this.deps.currentRevision());
    if (target === null || !this.deps.mayCompact()) return;
    if (target <= this.deps.compactRevision()) {
      planner.done(clock(), target);
      return;
    }
    this.inFlight = true;
    try {
      const outcome = await this.deps.compact(target);
      planner.done(clock(), target);
      this.deps.logger.info({ revision: target, outcome }, 'auto-compaction: compacted history');
    } catch (err) {
      // Retried at the next sample (a leader change, a timeout): nothing to undo.
      this.deps.logger.warn({ revision: target, err: (err as Error).message }, 'auto-compaction failed; retrying later');
    } finally {
      this.inFlight = false;
    }
  }
}
