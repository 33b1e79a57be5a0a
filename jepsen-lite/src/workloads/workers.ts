// The generic client loop shared by the workloads: `concurrency` workers, each doing one
// operation at a time, paced by a shared rate limiter. An operation that ends indeterminate
// (`info`) may still take effect later, so its worker continues under a fresh process id
// (process + concurrency), as Jepsen does: a process never has two operations in flight.

import { isKiteError } from '@kite/client';
import type { Json } from '../history/index.js';
import type { Completion } from '../run/recorder.js';
import { sleep } from '../util/time.js';
import type { WorkloadContext } from './types.js';

/** Client processes an op loop may create (info completions create new ones). */
export const PROCESSES_PER_WORKER_MAX = 100_000;

export interface PlannedOp {
  readonly f: string;
  readonly key?: string;
  readonly value: Json;
}

/** Spaces operation starts 1/rate apart across all workers. */
export class RateLimiter {
  private nextMs = 0;

  constructor(private readonly rateHz: number) {}

  /** How long the caller must wait before its operation may start. */
  reserve(nowMs: number): number {
    if (this.rateHz <= 0) return 0;
    const at = Math.max(nowMs, this.nextMs);
    this.nextMs = at + 1000 / this.rateHz;
    return at - nowMs;
  }
}

/**
 * How a failed call completes: `info` when the client says the outcome is unknown (or the
 * error is not a KiteError, e.g. our own deadline), `fail` when the server or client promises
 * it had no effect, or when the op is a read (reads have no effect either way).
 */
export function classifyError(err: unknown, isRead: boolean): Completion {
  if (isKiteError(err)) {
    const definite = isRead || (!err.indeterminate && err.code !== 'Timeout' && err.code !== 'Canceled' && err.code !== 'Internal');
    return { type: definite ? 'fail' : 'info', value: null, error: `${err.code}: ${err.message.slice(0, 200)}` };
  }
  return { type: isRead ? 'fail' : 'info', value: null, error: `error: ${(err as Error).message?.slice(0, 200) ?? String(err)}` };
}

export type Executor = (worker: number, op: PlannedOp) => Promise<Completion>;

/**
 * One worker's client process: records each operation's invoke and completion, and moves to
 * a fresh process id after an indeterminate completion.
 */
export class WorkerProcess {
  private process: number;
  private renamed = 0;
  /** The worker's first process id names its client for good (liveness is judged per client). */
  private readonly client: number;

  constructor(
    private readonly ctx: WorkloadContext,
    worker: number,
    private readonly workers: number,
    firstProcess = 0,
  ) {
    this.process = firstProcess + worker;
    this.client = this.process;
  }

  get exhausted(): boolean {
    return this.renamed >= PROCESSES_PER_WORKER_MAX;
  }

  async op(op: PlannedOp, execute: () => Promise<Completion>, isRead = op.f === 'read'): Promise<Completion> {
    this.ctx.recorder.invoke({ process: this.process, client: this.client, ...op });
    let done: Completion;
    try {
      done = await execute();
    } catch (err) {
      done = classifyError(err, isRead);
    }
    this.ctx.recorder.complete(this.process, done);
    if (done.type === 'info') {
      this.process += this.workers;
      this.renamed++;
    }
    return done;
  }
}

/** Runs `workers` op loops until the signal aborts; resolves when every loop has finished. */
export async function runOpLoops(
  ctx: WorkloadContext,
  workers: number,
  next: (worker: number) => PlannedOp,
  execute: Executor,
  firstProcess = 0,
): Promise<void> {
  const limiter = new RateLimiter(ctx.rateHz);
  const loop = async (w: number): Promise<void> => {
    const p = new WorkerProcess(ctx, w, workers, firstProcess);
    while (!ctx.signal.aborted && !p.exhausted) {
      await sleep(limiter.reserve(performance.now()), ctx.signal);
      if (ctx.signal.aborted) break;
      const op = next(w);
      await p.op(op, () => execute(w, op));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
}

/** Keys used a bounded number of times each, then retired (keeps per-key search small). */
export class KeyRotation {
  private readonly active: { key: string; uses: number }[] = [];
  private nextId = 0;

  constructor(
    private readonly prefix: string,
    size: number,
    private readonly usesMax: number,
  ) {
    for (let i = 0; i < size; i++) this.active.push({ key: this.fresh(), uses: 0 });
  }

  pick(u: number): string {
    const i = Math.floor(u * this.active.length);
    const slot = this.active[i] as { key: string; uses: number };
    slot.uses++;
    const key = slot.key;
    if (slot.uses >= this.usesMax) this.active[i] = { key: this.fresh(), uses: 0 };
    return key;
  }

  private fresh(): string {
    return `${this.prefix}${String(this.nextId++).padStart(5, '0')}`;
  }
}

/** The member name for a reply header's member id (the id itself if unknown). */
export function nodeName(ctx: WorkloadContext, memberId: string): string {
  return ctx.cluster.idToName.get(memberId) ?? memberId;
}
