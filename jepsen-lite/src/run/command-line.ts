// The `jepsen-lite run` command line that reproduces a run: every option that differs from
// the defaults, in the CLI's flag spelling. The matrix prints one per cell so any cell can be
// re-run alone with the same seed. Inverse of the CLI's parsing for the fields it covers.

import { defaultOptions, type RunOptions } from './options.js';

/** The CLI entry as invoked from the repository root. */
export const CLI_ENTRY = 'node jepsen-lite/dist/cli.js';

type Flag = readonly [flag: string, value: (o: RunOptions) => string];

const range = (r: readonly [number, number]): string => (r[0] === r[1] ? String(r[0]) : `${r[0]}..${r[1]}`);

/** Flags always written (they name the run), then flags written only when not the default. */
const ALWAYS: readonly Flag[] = [
  ['--nodes', (o) => String(o.nodes)],
  ['--workload', (o) => o.workload],
  ['--nemesis', (o) => (o.nemeses.length === 0 ? 'none' : o.nemeses.join(','))],
  ['--time', (o) => String(o.faultMs / 1000)],
  ['--seed', (o) => String(o.seed)],
];
const IF_CHANGED: readonly Flag[] = [
  ['--rate', (o) => String(o.rateHz)],
  ['--concurrency', (o) => String(o.concurrency)],
  ['--calm', (o) => String(o.calmMs)],
  ['--recovery', (o) => String(o.recoveryMs)],
  ['--hold', (o) => range(o.holdMs)],
  ['--quiet', (o) => range(o.quietMs)],
  ['--op-timeout', (o) => String(o.opTimeoutMs)],
  ['--write-retries', (o) => String(o.writeRetries)],
  ['--recovery-bound', (o) => String(o.recoveryBoundMs)],
  ['--tick-ms', (o) => String(o.tickMs)],
  ['--election-ticks', (o) => String(o.electionTicks)],
  ['--snapshot-entries', (o) => String(o.snapshotEntries)],
  ['--snapshot-catchup-entries', (o) => String(o.snapshotCatchupEntries)],
  ['--server-bin', (o) => o.serverBin],
  ['--server-log-level', (o) => o.serverLogLevel],
  ['--store', (o) => o.storeDir],
  ['--net', (o) => o.net],
];

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function runCommandLine(o: RunOptions, entry: string = CLI_ENTRY): string {
  const d = defaultOptions();
  const parts = [entry, 'run'];
  for (const [flag, value] of ALWAYS) parts.push(flag, quote(value(o)));
  for (const [flag, value] of IF_CHANGED) {
    const v = value(o);
    if (v !== value(d)) parts.push(flag, quote(v));
  }
  if (o.keepData) parts.push('--keep-data');
  if (o.tls) parts.push('--tls');
  if (o.auth) parts.push('--auth');
  for (const [name, value] of Object.entries(o.serverEnv)) parts.push('--server-env', quote(`${name}=${value}`));
  if (o.clientMutant !== null) parts.push('--client-mutant', o.clientMutant);
  return parts.join(' ');
}
