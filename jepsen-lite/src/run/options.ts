// Everything a run is parameterised by, with the defaults the CLI and the chaos test share.

import type { ClientMutantName } from '@kite/client';
import { fileURLToPath } from 'node:url';
import type { NemesisName } from '../nemesis/types.js';
import type { WorkloadName } from '../workloads/types.js';

/**
 * How members are connected: `proxy` (every member on 127.0.0.1, peer links through the
 * LinkProxy, faults at the frame level) or `netns` (each member in its own network namespace
 * with its own address, faults made by the kernel: iptables and tc netem; cluster/netns-net.ts).
 */
export type NetMode = 'proxy' | 'netns';
export const NET_MODES: readonly NetMode[] = ['proxy', 'netns'];

export interface RunOptions {
  /** Directory name under the store: store/<test>/<time>/. */
  readonly test: string;
  readonly storeDir: string;
  readonly nodes: number;
  readonly workload: WorkloadName;
  readonly nemeses: readonly NemesisName[];
  /** Length of the fault phase. */
  readonly faultMs: number;
  readonly calmMs: number;
  readonly healMs: number;
  readonly recoveryMs: number;
  readonly rateHz: number;
  readonly concurrency: number;
  readonly seed: number;
  /** Each fault is held for a time in this range (a nemesis may ask for more). */
  readonly holdMs: readonly [number, number];
  /** Quiet gap between faults. */
  readonly quietMs: readonly [number, number];
  readonly opTimeoutMs: number;
  /** Retries the client may do for writes (0: any failure after sending is `info`). */
  readonly writeRetries: number;
  /** Liveness: after a heal, a write must succeed within this bound. */
  readonly recoveryBoundMs: number;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly snapshotCatchupEntries: number;
  readonly serverBin: string;
  readonly serverLogLevel: string;
  /** Keep the members' data directories even when every checker passes. */
  readonly keepData: boolean;
  /** Mutual TLS on every link (throw-away certificates in the run dir; the proxy re-originates it). */
  readonly tls: boolean;
  /** Auth enabled once the cluster is up: workload clients log in as a non-root user, nemeses as root. */
  readonly auth: boolean;
  /** Environment settings for every member (--server-env NAME=VALUE); nothing else is inherited but PATH, HOME, TMPDIR. */
  readonly serverEnv: Readonly<Record<string, string>>;
  readonly net: NetMode;
  /** A deliberately broken client for the workload's clients (@kite/client client-mutants.ts; --client-mutant), or null. */
  readonly clientMutant: ClientMutantName | null;
}

/** packages/server/dist/main.js, found from this file (jepsen-lite/dist/run/options.js). */
export const DEFAULT_SERVER_BIN = fileURLToPath(new URL('../../../packages/server/dist/main.js', import.meta.url));

/** Combinations a run cannot honour, refused before anything starts (RangeError with the reason). */
export function checkRunOptions(o: RunOptions): void {
  if (o.net !== 'netns') return;
  if (o.tls) throw new RangeError('--net netns with --tls is not supported yet (the throw-away certificates name 127.0.0.1, not the namespaces\' addresses)');
  const client = o.nemeses.filter((n) => n.startsWith('client-'));
  if (client.length > 0) throw new RangeError(`--net netns cannot run ${client.join(', ')}: the client-link nemeses work through the link proxy, which a netns run does not use`);
}

export function defaultOptions(): RunOptions {
  return {
    test: 'kite',
    storeDir: 'store',
    nodes: 3,
    workload: 'register',
    nemeses: ['partition-leader', 'kill-one'],
    faultMs: 60_000,
    calmMs: 5_000,
    healMs: 20_000,
    recoveryMs: 5_000,
    rateHz: 50,
    concurrency: 5,
    seed: 1,
    holdMs: [2_000, 5_000],
    quietMs: [1_000, 3_000],
    opTimeoutMs: 3_000,
    writeRetries: 0,
    recoveryBoundMs: 10_000,
    tickMs: 100,
    electionTicks: 10,
    snapshotEntries: 200,
    snapshotCatchupEntries: 50,
    serverBin: DEFAULT_SERVER_BIN,
    serverLogLevel: 'info',
    keepData: false,
    tls: false,
    auth: false,
    serverEnv: {},
    net: 'proxy',
    clientMutant: null,
  };
}
