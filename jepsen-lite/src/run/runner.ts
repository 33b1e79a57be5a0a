// Runs one test end to end:
//   1. start the cluster (processes + proxies) and the workload's clients;
//   2. calm phase: workload only;
//   3. fault phase: the planned faults, one at a time, each started and then undone;
//   4. heal: every link opened, paused members continued, stopped members restarted, and
//      (bounded) wait for a leader every member agrees on;
//   5. recovery: workload only, extended (up to the liveness bound) until a write succeeds;
//   6. stop the workload (in-flight operations finish or stay open = indeterminate), record
//      final reads;
//   7. stop every process we started (by pid, bounded), whatever happened above;
//   8. check the history and write history.jsonl, results.json and report.html.
// An abort (Ctrl-C) skips to step 7 and still writes what was recorded.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KiteClient } from '@kite/client';
import { checkCorruptServing } from '../checkers/corrupt-serving.js';
import { combineValidity, nameServingMembers, type CheckResult, type Validity } from '../checkers/index.js';
import { Cluster } from '../cluster/cluster.js';
import { formatHistoryJsonl, isNemesisEntry, isObservationEntry, pairOperations, type HistoryEntry } from '../history/index.js';
import type { LinkInfo } from '../proxy/link-proxy.js';
import { nemesisByName, type ActiveFault, type NemesisContext, type NemesisName, type RunEvent } from '../nemesis/index.js';
import { renderReport, runRates } from '../report/report-html.js';
import { createRng } from '../util/rng.js';
import { createRunClock, sleep, withTimeout, type RunClock } from '../util/time.js';
import { createWorkload } from '../workloads/index.js';
import type { WorkloadContext } from '../workloads/types.js';
import type { RunOptions } from './options.js';
import { memberEnv } from '../cluster/server-env.js';
import { runCommandLine } from './command-line.js';
import { hostInfo, type HostInfo } from './host-info.js';
import { checkMembers } from './member-check.js';
import { Recorder } from './recorder.js';
import { planFaults, planPhases, type FaultSlot, type Phase } from './schedule.js';
import { NetnsCapabilityError, type NetnsLayout } from '../cluster/netns-net.js';
import { checkRunOptions } from './options.js';

const CLUSTER_READY_MS_MAX = 30_000;
/** Time the workload gets to finish in-flight operations after it is told to stop. */
const WORKLOAD_DRAIN_MS_EXTRA = 5_000;
const RECOVERY_POLL_MS = 200;

export interface PhaseRecord {
  readonly name: Phase['name'];
  readonly startNs: number;
  readonly endNs: number;
}

export interface RunOutcome {
  readonly dir: string;
  readonly valid: Validity;
  readonly results: readonly CheckResult[];
  readonly error: string | null;
}

export interface RunHooks {
  log(line: string): void;
  /** Aborts the run (Ctrl-C): teardown still happens. */
  readonly signal?: AbortSignal;
}

export async function runTest(o: RunOptions, hooks: RunHooks): Promise<RunOutcome> {
  checkRunOptions(o);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.resolve(o.storeDir, o.test, stamp);
  mkdirSync(dir, { recursive: true });
  const rng = createRng(o.seed);
  const clock = createRunClock();
  const log = (line: string): void => hooks.log(`[${(clock.nowMs() / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const recorder = new Recorder(clock);
  const env = memberEnv(o.serverEnv);
  const host = existsSync(o.serverBin) ? hostInfo(o.serverBin) : null;
  const cluster = new Cluster({
    nodes: o.nodes, dir, serverBin: o.serverBin, clusterToken: `jepsen-lite-${o.seed}-${stamp}`,
    tickMs: o.tickMs, electionTicks: o.electionTicks, snapshotEntries: o.snapshotEntries,
    snapshotCatchupEntries: o.snapshotCatchupEntries, logLevel: o.serverLogLevel, rng: rng.fork('cluster'), tls: o.tls, auth: o.auth, env,
    fakeClocks: o.nemeses.includes('clock'),
    clientProxy: !o.tls && o.nemeses.some(isClientLinkNemesis),
    net: o.net,
  });
  const killOnExit = (): void => cluster.killAllSync();
  process.once('exit', killOnExit);
  const clients = new Map<number, KiteClient>();
  const stopWorkload = new AbortController();
  const events: RunEvent[] = [];
  const phases: PhaseRecord[] = [];
  const workload = createWorkload(o.workload, { writeRetries: o.writeRetries });
  const aborted = (): boolean => hooks.signal?.aborted === true;
  const userSignal = hooks.signal ?? new AbortController().signal;
  let error: string | null = null;
  let endTimeNs = 0;
  let membersResult: CheckResult | null = null;
  let links: LinkInfo[] = [];
  let netns: NetnsLayout | null = null;

  const ctx: WorkloadContext = {
    cluster, recorder, rng: rng.fork('workload'), concurrency: o.concurrency, rateHz: o.rateHz,
    opTimeoutMs: o.opTimeoutMs, signal: stopWorkload.signal, log, clientMutant: o.clientMutant,
    clientFor: async (w) => {
      let c = clients.get(w);
      if (c === undefined) {
        const eps = cluster.workloadEndpoints();
        const rotated = [...eps.slice(w % eps.length), ...eps.slice(0, w % eps.length)];
        c = await cluster.connect({ endpoints: rotated, timeoutMs: o.opTimeoutMs, preferLeader: w % 2 === 0, mutant: o.clientMutant });
        clients.set(w, c);
      }
      return c;
    },
  };
  const nctx: NemesisContext = { cluster, recorder, rng: rng.fork('nemesis'), events, log };

  try {
    log(`starting ${o.nodes} members in ${dir}`);
    if (o.clientMutant !== null) log(`DELIBERATELY BROKEN CLIENT: the workload's clients run the ${o.clientMutant} client mutant (--client-mutant)`);
    await cluster.start(CLUSTER_READY_MS_MAX);
    if (cluster.netns !== null && o.nemeses.some((n) => DELAY_NEMESES.includes(n)) && !cluster.netns.netemAvailable()) {
      throw new NetnsCapabilityError(`tc netem is not available in this kernel (CONFIG_NET_SCH_NETEM), so --net netns cannot run ${o.nemeses.filter((n) => DELAY_NEMESES.includes(n)).join(', ')} (they delay links); partitions, kills and pauses work`);
    }
    log(`cluster up; leader ${await cluster.leader()}; members ${[...cluster.idToName].map(([id, n]) => `${n}=${id}`).join(' ')}`);
    const plan = planPhases({ calmMs: o.calmMs, faultMs: o.faultMs, healMs: o.healMs, recoveryMs: o.recoveryMs });
    // The ring needs 5+ members (on 3 every member already reaches both others).
    // Client links go through the proxy only without TLS (cluster.ts clientProxy).
    const nemeses = o.nemeses.filter((n) => (o.nodes >= 5 || n !== 'partition-ring') && !(o.tls && isClientLinkNemesis(n)));
    if (o.tls && o.nemeses.some(isClientLinkNemesis)) log('client-link nemeses skipped: not supported with --tls');
    const faults = planFaults({ faultMs: o.faultMs, nemeses, holdMs: o.holdMs, quietMs: o.quietMs }, rng.fork('schedule'));
    const workloadDone = workload.run(ctx).catch((err: unknown) => {
      error ??= `workload: ${(err as Error).stack ?? String(err)}`;
      log(`workload failed: ${(err as Error).message}`);
    });
    const phase = async (name: Phase['name'], body: () => Promise<void>): Promise<void> => {
      const startNs = clock.nowNs();
      log(`phase ${name}`);
      try {
        await body();
      } finally {
        phases.push({ name, startNs, endNs: clock.nowNs() });
      }
    };
    const calm = plan.find((p) => p.name === 'calm') as Phase;
    await phase('calm', () => sleep(calm.endMs - calm.startMs, userSignal));
    if (!aborted()) {
      await phase('faults', () => runFaults(faults, o.faultMs, nctx, clock, userSignal));
    }
    await phase('heal', () => healAll(cluster, nctx, o.healMs));
    if (!aborted()) await phase('recovery', () => recover(recorder, clock, o, userSignal));
    stopWorkload.abort();
    await withTimeout(workloadDone, o.opTimeoutMs + WORKLOAD_DRAIN_MS_EXTRA, 'workload drain').catch((err: unknown) => log((err as Error).message));
    endTimeNs = clock.nowNs();
    if (!aborted()) {
      await phase('final-reads', () => workload.finalReads(ctx)).catch((err: unknown) => {
        log(`final reads failed: ${(err as Error).message}`);
      });
      membersResult = checkMembers(cluster);
    }
    links = cluster.proxy.links();
    netns = cluster.netns?.layout ?? null;
  } catch (err) {
    error = (err as Error).stack ?? String(err);
    log(`run failed: ${(err as Error).message}`);
  } finally {
    stopWorkload.abort();
    for (const c of clients.values()) c.close();
    await cluster.stopAll().catch((err: unknown) => log(`teardown: ${(err as Error).message}`));
    process.off('exit', killOnExit);
    log('every process stopped');
  }
  if (endTimeNs === 0) endTimeNs = clock.nowNs();
  return finish({ o, dir, entries: recorder.entries, phases, events, error, endTimeNs, aborted: aborted(), log, workloadCheck: workload.check, extra: membersResult === null ? [] : [membersResult], links, memberEnv: { ...env, ...(cluster.clocks?.envTemplate() ?? {}) }, host, netns });
}

const isClientLinkNemesis = (n: NemesisName): boolean => n.startsWith('client-');
/** Nemeses that delay links: in a netns run they need tc netem. */
const DELAY_NEMESES: readonly NemesisName[] = ['delay', 'gray-leader', 'gray-follower'];

/** The fault phase: each planned fault started, held, and undone, one at a time. */
async function runFaults(faults: readonly FaultSlot<NemesisName>[], faultMs: number, nctx: NemesisContext, clock: RunClock, signal: AbortSignal): Promise<void> {
  const t0 = clock.nowMs();
  for (const slot of faults) {
    await sleep(t0 + slot.startMs - clock.nowMs(), signal);
    if (signal.aborted) return;
    const nemesis = nemesisByName(slot.nemesis);
    let fault: ActiveFault | null = null;
    try {
      fault = await nemesis.start(nctx);
    } catch (err) {
      nctx.log(`nemesis ${slot.nemesis} failed to start: ${(err as Error).message}`);
    }
    if (fault === null) {
      nctx.log(`nemesis ${slot.nemesis}: not applicable now, skipped`);
      continue;
    }
    // An abort cuts the hold short, but the fault is still undone.
    await sleep(Math.max(slot.holdMs, nemesis.minHoldMs?.(nctx) ?? 0), signal);
    await fault.stop().catch((err: unknown) => nctx.log(`nemesis ${slot.nemesis} failed to stop: ${(err as Error).message}`));
  }
  await sleep(t0 + faultMs - clock.nowMs(), signal);
}

/** Undo everything: open links, true clocks, continue paused members, restart stopped ones; wait for a leader. */
async function healAll(cluster: Cluster, ctx: NemesisContext, healMs: number): Promise<void> {
  cluster.net.heal();
  const clocksReset = cluster.clocks?.resetAll() ?? [];
  const resumed: string[] = [];
  const restarted: string[] = [];
  for (const name of cluster.names) {
    const p = cluster.process(name);
    if (cluster.removed.has(name)) continue; // its re-add failed: restarting it would bootstrap a stranger
    if (p.state === 'paused') {
      p.resume();
      resumed.push(name);
    } else if (p.state === 'stopped') {
      p.start();
      restarted.push(name);
    }
  }
  ctx.recorder.nemesis('heal', { resumed, restarted, clocksReset });
  ctx.log(`healed (resumed: ${resumed.join(' ') || '-'}, restarted: ${restarted.join(' ') || '-'})`);
  try {
    const leaderId = await cluster.waitReady(healMs);
    ctx.log(`every member agrees on leader ${cluster.idToName.get(leaderId) ?? leaderId}`);
  } catch (err) {
    ctx.log(`after heal: ${(err as Error).message}`);
  }
}

/**
 * The recovery window, extended (up to the liveness bound) until a write succeeded after the
 * heal and every client was served again, so liveness judges the last heal instead of
 * answering 'unknown' for a client that is merely slow to come back.
 */
async function recover(recorder: Recorder, clock: { nowNs(): number }, o: RunOptions, signal: AbortSignal): Promise<void> {
  const healNs = [...recorder.entries].reverse().find((e) => e.process === 'nemesis' && e.f === 'heal')?.time ?? 0;
  await sleep(o.recoveryMs, signal);
  while (!signal.aborted && !recoveredSince(recorder.entries, healNs) && clock.nowNs() - healNs < o.recoveryBoundMs * 1e6) {
    await sleep(RECOVERY_POLL_MS, signal);
  }
}

/** Some write completed ok at or after `sinceNs`, and so did an operation of every client. */
export function recoveredSince(entries: readonly HistoryEntry[], sinceNs: number): boolean {
  const clientOf = new Map<number | string, number | string>();
  const served = new Set<number | string>();
  let write = false;
  for (const e of entries) {
    if (isNemesisEntry(e) || isObservationEntry(e)) continue;
    if (e.type === 'invoke') {
      clientOf.set(e.process, e.client ?? e.process);
    } else if (e.type === 'ok' && e.time >= sinceNs) {
      served.add(clientOf.get(e.process) ?? e.process);
      write ||= e.f !== 'read';
    }
  }
  return write && [...new Set(clientOf.values())].every((c) => served.has(c));
}

export interface FinishInputs {
  readonly o: RunOptions;
  readonly dir: string;
  readonly entries: readonly HistoryEntry[];
  readonly phases: readonly PhaseRecord[];
  readonly events: readonly RunEvent[];
  readonly error: string | null;
  readonly endTimeNs: number;
  readonly aborted: boolean;
  readonly log: (line: string) => void;
  readonly workloadCheck: ReturnType<typeof createWorkload>['check'];
  /** Results the runner computed itself (the members check). */
  readonly extra: readonly CheckResult[];
  /** The proxy's open links at the end (who talks to whom, frames passed and dropped). */
  readonly links: readonly LinkInfo[];
  /** The whole environment every member ran with (null: not recorded by an older run). */
  readonly memberEnv: Readonly<Record<string, string>> | null;
  /** The code, Node.js and machine the run had (null: not recorded). */
  readonly host: HostInfo | null;
  /** The namespaces, bridge and addresses of a --net netns run (null: proxy mode, or not recorded). */
  readonly netns: NetnsLayout | null;
}

export function finish(f: FinishInputs): RunOutcome {
  writeFileSync(path.join(f.dir, 'history.jsonl'), formatHistoryJsonl(f.entries));
  let results: CheckResult[] = [];
  let error = f.error;
  try {
    const history = pairOperations(f.entries);
    const checked = f.workloadCheck({ history, recoveryBoundMs: f.o.recoveryBoundMs, endTimeNs: f.endTimeNs });
    // Every workload: a member whose files the corrupt nemesis damaged must not have served.
    const corrupt = checkCorruptServing(history.operations, history.nemesis);
    if (corrupt.stats['corruptions'] !== 0) checked.push(corrupt);
    results = [...nameServingMembers(checked, history.operations), ...f.extra];
  } catch (err) {
    error ??= `checking: ${(err as Error).stack ?? String(err)}`;
  }
  const valid: Validity = error !== null || f.aborted || results.length === 0 ? combineValidity([...results.map((r) => r.valid), 'unknown']) : combineValidity(results.map((r) => r.valid));
  const summary = {
    test: f.o.test, seed: f.o.seed, valid, aborted: f.aborted, error,
    options: f.o, memberEnv: f.memberEnv, host: f.host, net: f.o.net, netns: f.netns, command: runCommandLine(f.o), phases: f.phases, rates: runRates(f.entries, f.phases), events: f.events, links: f.links,
    checkers: results,
  };
  writeFileSync(path.join(f.dir, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(path.join(f.dir, 'report.html'), renderReport({ title: `${f.o.test} (seed ${f.o.seed})`, entries: f.entries, phases: f.phases, events: f.events, results, valid, error, options: f.o }));
  for (const r of results) f.log(`checker ${r.checker}: ${String(r.valid)}${r.anomalies.length > 0 ? ` — ${r.anomalies[0]?.message ?? ''}` : ''}`);
  f.log(`valid: ${String(valid)}; output in ${f.dir}`);
  if (valid === true && !f.o.keepData) rmSync(path.join(f.dir, 'data'), { recursive: true, force: true });
  return { dir: f.dir, valid, results, error };
}
