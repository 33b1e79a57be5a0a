// The failpoint nemesis: kills one member (kill -9) and starts it again with one failpoint of
// the server armed (KITE_FAILPOINTS, packages/server/src/failpoints.ts) at a random hit, waits
// (bounded) for it to crash there, and at the fault's end starts it again clean. A crash at a
// persistence or apply boundary must be restart-safe: the checkers must still find every
// acknowledged write. Recorded as kill/restart (kind "failpoint") so the liveness checker and
// the report treat it like any crash; the point, its hit and the member's exit code (86 when
// the point fired) are in the record. Only when every member runs, so one crash costs no quorum.
// The armed environment is for that one start: the clean restart uses the run's own env.

import { sleep } from '../util/time.js';
import type { ActiveFault, Nemesis, NemesisContext } from './types.js';

/**
 * Points every run reaches (the snapshot-* points need a snapshot sent to the member; the
 * server's integration test covers those). Names as in the server's FAILPOINT_NAMES.
 */
export const FAILPOINT_CHOICES = ['before-log-append', 'after-log-append', 'before-apply', 'after-apply'] as const;
/** The point fires at a hit drawn from 1..this (later hits land mid-traffic, not at start). */
export const FAILPOINT_HIT_MAX = 20;
/** The exit code of a member stopped by a failpoint (server failpoints.ts EXIT_FAILPOINT). */
export const EXIT_FAILPOINT = 86;
/** How long the armed member gets to reach its point before it is killed anyway. */
const CRASH_WAIT_MS_MAX = 20_000;
const POLL_MS = 50;

export const failpointNemesis: Nemesis = {
  name: 'failpoint',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const cluster = ctx.cluster;
    const running = cluster.runningNames();
    if (running.length !== cluster.names.length || running.length < 3) return null;
    const node = ctx.rng.pick(running);
    const point = ctx.rng.pick(FAILPOINT_CHOICES);
    const hit = 1 + ctx.rng.int(FAILPOINT_HIT_MAX);
    const spec = `${point}=crash@${hit}`;
    const proc = cluster.process(node);
    await proc.kill9();
    proc.start(undefined, { KITE_FAILPOINTS: spec });
    ctx.recorder.nemesis('kill', { kind: 'failpoint', nodes: [node], failpoint: spec });
    ctx.log(`restarted ${node} with KITE_FAILPOINTS=${spec}`);
    let waitedMs = 0;
    for (; proc.state !== 'stopped' && waitedMs < CRASH_WAIT_MS_MAX; waitedMs += POLL_MS) await sleep(POLL_MS);
    const fired = proc.state === 'stopped' && proc.lastExit?.code === EXIT_FAILPOINT;
    if (proc.state !== 'stopped') await proc.kill9();
    const exitCode = proc.lastExit?.code ?? null;
    ctx.events.push({ timeNs: ctx.recorder.clock.nowNs(), kind: 'failpoint', value: { node, failpoint: spec, fired, exitCode } });
    ctx.log(fired ? `${node} crashed at ${spec} (exit ${EXIT_FAILPOINT})` : `${node} did not reach ${spec} within ${CRASH_WAIT_MS_MAX} ms (exit ${String(exitCode)}): killed`);
    return {
      stop: async () => {
        if (proc.state === 'stopped') proc.start();
        ctx.recorder.nemesis('restart', { nodes: [node] });
        ctx.log(`restarted ${node} clean`);
      },
    };
  },
};
