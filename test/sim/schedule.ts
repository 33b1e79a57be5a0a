// A simulation case: the cluster shape, the core's options and a schedule of client requests
// and faults, each after a wait in simulation units. Schedules are plain JSON so a failure can
// be printed and replayed (SIM_SCHEDULE). fast-check generates and shrinks them; the run's
// other randomness (delays, drops, jitter) comes from the separate seed (SIM_SEED).

import fc from 'fast-check';
import type { RaftOptions } from './host.js';
import type { NetworkKnobs } from './network.js';

/**
 * A member by index, or whoever leads at that moment (resolved deterministically): 'leader'
 * is the leader of the highest term, 'oldLeader' the one of the lowest (a deposed leader that
 * has not noticed yet, when there is one; else the leader).
 */
export type NodeRef = number | 'leader' | 'oldLeader';
/**
 * Faults may also target the next member to win an election: the fault is armed and strikes
 * in the very Ready where that member first reports leadership (before its first appends go
 * out). This makes Figure-8 style histories (a new leader dying with a lone entry of its
 * term) reachable in a few hundred schedules.
 */
export type FaultRef = NodeRef | 'nextLeader';
export type CrashPoint = 'beforeReady' | 'afterPersist';

export type Action =
  | { readonly type: 'propose'; readonly node: NodeRef; readonly key: number; readonly count: number }
  | { readonly type: 'read'; readonly node: NodeRef; readonly key: number }
  | { readonly type: 'crash'; readonly node: FaultRef; readonly point: CrashPoint }
  | { readonly type: 'restart'; readonly node: number | 'all' }
  | { readonly type: 'partition'; readonly side: readonly number[] }
  | { readonly type: 'isolate'; readonly node: FaultRef }
  | { readonly type: 'cutOneWay'; readonly from: NodeRef; readonly to: number }
  | { readonly type: 'heal' }
  | { readonly type: 'net'; readonly knobs: NetworkKnobs }
  | { readonly type: 'compact'; readonly node: NodeRef }
  | { readonly type: 'transfer'; readonly to: number }
  /** The leader proposes adding the next spare host (as a learner or straight as a voter). */
  | { readonly type: 'addMember'; readonly learner: boolean }
  /** The leader proposes promoting its first learner to voter. */
  | { readonly type: 'promote' }
  | { readonly type: 'removeMember'; readonly node: NodeRef };

export interface Step {
  readonly waitUnits: number;
  readonly action: Action;
}

export interface Schedule {
  /** Initial voters n1..nN. */
  readonly nodes: number;
  /** Spare hosts n(N+1).. that membership changes may add (default 0). */
  readonly spares?: number;
  readonly raft: RaftOptions;
  readonly steps: readonly Step[];
}

export interface SimCase {
  readonly seed: number;
  readonly schedule: Schedule;
}

/** Simulation units per tick of every member's logical clock. */
export const unitsPerTick = 4;
export const electionTicks = 10;

export interface ScheduleSize {
  readonly stepsMax: number;
  readonly waitTicksMax: number;
}

/** Spare hosts in generated schedules, available to membership changes. */
export const sparesMax = 2;

export const ciSize: ScheduleSize = { stepsMax: 40, waitTicksMax: 40 };

const nodeRef = (n: number): fc.Arbitrary<NodeRef> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<NodeRef>('leader') },
    { weight: 1, arbitrary: fc.constant<NodeRef>('oldLeader') },
    { weight: 5, arbitrary: fc.nat(n - 1) },
  );

const knobsArb: fc.Arbitrary<NetworkKnobs> = fc
  .record({
    dropPct: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
    dupPct: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
    delayMinUnits: fc.integer({ min: 1, max: 3 }),
    delaySpanUnits: fc.integer({ min: 0, max: 3 * unitsPerTick }),
  })
  .map(({ dropPct, dupPct, delayMinUnits, delaySpanUnits }) => ({
    dropPct,
    dupPct,
    delayMinUnits,
    delayMaxUnits: delayMinUnits + delaySpanUnits,
  }));

const faultRef = (n: number): fc.Arbitrary<FaultRef> =>
  fc.oneof({ weight: 4, arbitrary: nodeRef(n) }, { weight: 1, arbitrary: fc.constant<FaultRef>('nextLeader') });

function actionArb(n: number): fc.Arbitrary<Action> {
  const node = nodeRef(n);
  const fault = faultRef(n);
  const index = fc.nat(n - 1);
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ type: fc.constant('propose' as const), node, key: fc.nat(2), count: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 6, arbitrary: fc.record({ type: fc.constant('read' as const), node, key: fc.nat(2) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant('crash' as const),
        node: fault,
        point: fc.constantFrom<CrashPoint>('beforeReady', 'afterPersist'),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('restart' as const), node: fc.oneof(index, fc.constant('all' as const)) }),
    },
    {
      weight: 2,
      arbitrary: fc
        .subarray([...Array(n).keys()], { minLength: 1, maxLength: Math.floor(n / 2) })
        .map((side) => ({ type: 'partition' as const, side })),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('isolate' as const), node: fault }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('cutOneWay' as const), from: node, to: index }) },
    { weight: 3, arbitrary: fc.constant({ type: 'heal' as const }) },
    { weight: 2, arbitrary: knobsArb.map((knobs) => ({ type: 'net' as const, knobs })) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('compact' as const), node }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('transfer' as const), to: index }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('addMember' as const), learner: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ type: 'promote' as const }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('removeMember' as const), node }) },
  );
}

function raftOptionsArb(): fc.Arbitrary<RaftOptions> {
  return fc
    .record({
      preVote: fc.boolean(),
      checkQuorum: fc.boolean(),
      lease: fc.boolean(),
      smallMessages: fc.boolean(),
      maxInflightMsgs: fc.constantFrom(1, 4, 256),
    })
    .map(({ preVote, checkQuorum, lease, smallMessages, maxInflightMsgs }) => ({
      electionTicks,
      heartbeatTicks: 1,
      preVote,
      checkQuorum: checkQuorum || lease,
      readOnly: lease ? ('leaseBased' as const) : ('safe' as const),
      maxMsgBytes: smallMessages ? 1 : 1 << 20,
      maxInflightMsgs,
    }));
}

const unitsArb = (minTicks: number, maxTicks: number): fc.Arbitrary<number> =>
  fc.integer({ min: minTicks * unitsPerTick, max: maxTicks * unitsPerTick });

/**
 * Leader churn, the shape of Figure 8: writes reach the leader, the leader is cut off or dies
 * at once (so the writes may live on it alone), the next leader is hit as soon as it is
 * elected (its no-op may live on it alone), then the network heals and everyone restarts.
 */
function churnArb(n: number): fc.Arbitrary<Step[]> {
  const shortWait = fc.nat(unitsPerTick);
  const hitLeader = fc.oneof(
    fc.constant<Action>({ type: 'isolate', node: 'leader' }),
    fc.constantFrom<CrashPoint>('beforeReady', 'afterPersist').map((point): Action => ({ type: 'crash', node: 'leader', point })),
  );
  const hitNext = fc.oneof(
    fc.constant<Action>({ type: 'isolate', node: 'nextLeader' }),
    fc.constant<Action>({ type: 'crash', node: 'nextLeader', point: 'afterPersist' }),
  );
  return fc
    .record({
      key: fc.nat(2),
      count: fc.integer({ min: 1, max: 4 }),
      w1: shortWait,
      hit: hitLeader,
      next: hitNext,
      w2: unitsArb(10, 40),
      w3: unitsArb(0, 30),
      extra: fc.option(fc.record({ waitUnits: shortWait, action: actionArb(n) }), { nil: undefined }),
    })
    .map(({ key, count, w1, hit, next, w2, w3, extra }) => [
      { waitUnits: 0, action: { type: 'propose', node: 'leader', key, count } },
      { waitUnits: w1, action: hit },
      { waitUnits: 0, action: next },
      ...(extra === undefined ? [] : [extra]),
      { waitUnits: w2, action: { type: 'heal' } },
      { waitUnits: w3, action: { type: 'restart', node: 'all' } },
    ]);
}

/**
 * Split brain: the leader is cut off, a new leader is elected and acknowledges writes, and
 * clients still talking to the old leader read from it (which must not answer stale data).
 * Optionally a member restarts just before, forgetting whom it heard from (lease reads must
 * survive that), while part of the cluster has been partitioned long enough to time out.
 */
function splitBrainArb(n: number): fc.Arbitrary<Step[]> {
  return fc
    .record({
      key: fc.nat(2),
      w1: unitsArb(0, 30),
      w2: fc.nat(2 * unitsPerTick),
      reads: fc.integer({ min: 1, max: 8 }),
      gap: fc.nat(2 * unitsPerTick),
      prelude: fc.option(
        fc.record({
          side: fc.subarray([...Array(n).keys()], { minLength: 1, maxLength: Math.floor(n / 2) }),
          restart: fc.nat(n - 1),
          wait: unitsArb(10, 25),
        }),
        { nil: undefined },
      ),
    })
    .map(({ key, w1, w2, reads, gap, prelude }) => [
      ...(prelude === undefined
        ? []
        : [
            { waitUnits: 0, action: { type: 'partition', side: prelude.side } },
            { waitUnits: prelude.wait, action: { type: 'crash', node: prelude.restart, point: 'beforeReady' } },
            { waitUnits: 1, action: { type: 'restart', node: prelude.restart } },
            { waitUnits: 0, action: { type: 'heal' } },
          ] satisfies Step[]),
      { waitUnits: 0, action: { type: 'isolate', node: 'leader' } },
      ...Array.from({ length: reads }, (_, i): Step[] => [
        { waitUnits: i === 0 ? w1 : gap, action: { type: 'propose', node: 'leader', key, count: 1 } },
        { waitUnits: i === 0 ? w2 : gap, action: { type: 'read', node: 'oldLeader', key } },
      ]).flat(),
    ]);
}

export function scheduleArb(nodes: number, size: ScheduleSize = ciSize): fc.Arbitrary<Schedule> {
  const step = fc.record({
    // Mostly short waits (races inside one round trip), sometimes long ones (elections).
    waitUnits: fc.oneof({ weight: 3, arbitrary: fc.nat(2 * unitsPerTick) }, fc.nat(size.waitTicksMax * unitsPerTick)),
    action: actionArb(nodes),
  });
  const chunk = fc.oneof(
    { weight: 12, arbitrary: step.map((s) => [s]) },
    { weight: 2, arbitrary: churnArb(nodes) },
    { weight: 1, arbitrary: splitBrainArb(nodes) },
  );
  return fc.record({
    nodes: fc.constant(nodes),
    spares: fc.constant(sparesMax),
    raft: raftOptionsArb(),
    steps: fc
      .array(chunk, { minLength: 1, maxLength: size.stepsMax, size: 'max' })
      .map((chunks) => chunks.flat().slice(0, size.stepsMax * 2)),
  });
}

export function simCaseArb(nodes: number, size: ScheduleSize = ciSize): fc.Arbitrary<SimCase> {
  return fc.record({ seed: fc.nat(0x7fffffff), schedule: scheduleArb(nodes, size) });
}

export function encodeSchedule(s: Schedule): string {
  return JSON.stringify(s);
}

export function decodeSchedule(text: string): Schedule {
  return JSON.parse(text) as Schedule;
}

/** The command that replays one case (against a mutant of the core when one is named). */
export function replayCommand(c: SimCase, mutant?: string): string {
  const env = mutant === undefined ? '' : `SIM_MUTANT=${mutant} `;
  return `${env}SIM_SEED=${c.seed} SIM_SCHEDULE='${encodeSchedule(c.schedule)}' npx vitest run test/sim/replay.test.ts`;
}
