#!/usr/bin/env node
// jepsen-lite command line: `jepsen-lite run --nodes 3 --workload register --nemesis
// partition,kill --time 60 --rate 50 --concurrency 5 --seed 1`. Exits 0 only when every
// checker says valid; 1 when one fails or is unknown; 2 on bad usage. Ctrl-C stops the run
// (every process we started is killed) and still writes what was recorded.
// `jepsen-lite matrix --nodes 3 --workloads register,append --nemeses partition,kill --time 15`
// runs every workload × nemesis cell in turn and writes summary.md + matrix.json (exit 0 only
// when every run was valid). `jepsen-lite nemesis-matrix --time 20` runs issue 15's nemesis matrix
// (run/nemesis-matrix.ts) and writes its markdown table.

import { CLIENT_MUTANT_NAMES, type ClientMutantName } from '@kite/client';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { expandNemeses, NEMESIS_GROUPS, NEMESIS_NAMES } from './nemesis/types.js';
import { parseServerEnvEntry } from './cluster/server-env.js';
import { checkRunOptions, defaultOptions, NET_MODES, type NetMode, type RunOptions } from './run/options.js';
import { planMatrix, runMatrix, type MatrixCell } from './run/matrix.js';
import { recheck } from './run/recheck.js';
import { runNemesisMatrix } from './run/nemesis-matrix-run.js';
import { runTest } from './run/runner.js';
import { WORKLOAD_NAMES, WORKLOAD_SUMMARIES, type WorkloadName } from './workloads/types.js';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
  return n;
};

const range = (name: string) => (raw: string): [number, number] => {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(raw);
  if (m === null) throw new InvalidArgumentError(`${name} must be MS or MIN..MAX (ms)`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new InvalidArgumentError(`${name}: max below min`);
  return [lo, hi];
};

/** Accumulates repeated --server-env NAME=VALUE flags. */
const collectEnv = (raw: string, acc: Record<string, string>): Record<string, string> => {
  try {
    const [name, value] = parseServerEnvEntry(raw);
    return { ...acc, [name]: value };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const parseNet = (raw: string): NetMode => {
  if (!(NET_MODES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`--net must be one of ${NET_MODES.join(', ')}`);
  return raw as NetMode;
};

const d = defaultOptions();
// `kite chaos` runs this command line and names it so its help reads `Usage: kite chaos …`.
const program = new Command(process.env['JEPSEN_LITE_PROGRAM_NAME'] ?? 'jepsen-lite').description('fault-injection tests for a Kite cluster');

/** The options every run takes (shared by `run` and `matrix`). */
function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--time <s>', 'length of the fault phase (s)', int('--time', 0), d.faultMs / 1000)
    .option('--rate <hz>', 'operations per second, all clients together', int('--rate', 1), d.rateHz)
    .option('--concurrency <n>', 'client processes', int('--concurrency', 1, 1000), d.concurrency)
    .option('--seed <n>', 'seed for every random choice', int('--seed', 0, 2 ** 32 - 1), d.seed)
    .option('--calm <ms>', 'calm phase before faults (ms)', int('--calm', 0), d.calmMs)
    .option('--recovery <ms>', 'recovery phase after healing (ms)', int('--recovery', 0), d.recoveryMs)
    .option('--hold <ms>', 'how long each fault is held: MS or MIN..MAX', range('--hold'), d.holdMs)
    .option('--quiet <ms>', 'gap between faults: MS or MIN..MAX', range('--quiet'), d.quietMs)
    .option('--op-timeout <ms>', 'deadline of one client call', int('--op-timeout', 10), d.opTimeoutMs)
    .option('--write-retries <n>', 'client retries for writes (0 keeps every outcome exact)', int('--write-retries', 0, 100), d.writeRetries)
    .option('--recovery-bound <ms>', 'liveness: a write must succeed this soon after a heal', int('--recovery-bound', 1), d.recoveryBoundMs)
    .option('--tick-ms <ms>', 'server --tick-ms', int('--tick-ms', 1), d.tickMs)
    .option('--election-ticks <n>', 'server --election-ticks', int('--election-ticks', 2), d.electionTicks)
    .option('--snapshot-entries <n>', 'server --snapshot-entries (small: snapshots happen)', int('--snapshot-entries', 1), d.snapshotEntries)
    .option('--snapshot-catchup-entries <n>', 'server --snapshot-catchup-entries', int('--snapshot-catchup-entries', 0), d.snapshotCatchupEntries)
    .option('--server-bin <path>', 'the kite server entry point', d.serverBin)
    .option('--server-log-level <level>', 'server --log-level', d.serverLogLevel)
    .option('--store <dir>', 'output root', d.storeDir)
    .option('--keep-data', 'keep data directories of a valid run', false)
    .option('--tls', 'mutual TLS on every link (client and peer); the link proxies terminate and re-originate it', false)
    .option('--auth', 'authentication on: workloads log in as a non-root user with readwrite on every key, nemeses as root', false)
    .option('--net <mode>', `${NET_MODES.join(' or ')}: members on 127.0.0.1 behind the link proxy, or each in its own network namespace with kernel-made faults (iptables, tc netem; needs root)`, parseNet, d.net)
    .option('--server-env <NAME=VALUE>', 'an environment variable for every member (repeatable); members inherit nothing else but PATH, HOME and TMPDIR', collectEnv, {})
    .option('--client-mutant <name>', `a deliberately broken client for the workload (${CLIENT_MUTANT_NAMES.join(', ')}), to prove a nemesis finds it`, parseClientMutantFlag, null);
}

/** RunOptions from parsed flags; workload, nemeses and test name are the caller's. */
function baseOptions(a: Record<string, unknown>): RunOptions {
  return {
    ...d,
    storeDir: String(a['store']),
    nodes: a['nodes'] as number,
    faultMs: (a['time'] as number) * 1000,
    calmMs: a['calm'] as number,
    recoveryMs: a['recovery'] as number,
    rateHz: a['rate'] as number,
    concurrency: a['concurrency'] as number,
    seed: a['seed'] as number,
    holdMs: a['hold'] as [number, number],
    quietMs: a['quiet'] as [number, number],
    opTimeoutMs: a['opTimeout'] as number,
    writeRetries: a['writeRetries'] as number,
    recoveryBoundMs: a['recoveryBound'] as number,
    tickMs: a['tickMs'] as number,
    electionTicks: a['electionTicks'] as number,
    snapshotEntries: a['snapshotEntries'] as number,
    snapshotCatchupEntries: a['snapshotCatchupEntries'] as number,
    serverBin: String(a['serverBin']),
    serverLogLevel: String(a['serverLogLevel']),
    keepData: a['keepData'] === true,
    tls: a['tls'] === true,
    auth: a['auth'] === true,
    serverEnv: a['serverEnv'] as Record<string, string>,
    net: a['net'] as NetMode,
    clientMutant: a['clientMutant'] as ClientMutantName | null,
  };
}

const parseClientMutantFlag = (raw: string): ClientMutantName => {
  const m = CLIENT_MUTANT_NAMES.find((n) => n === raw.trim());
  if (m === undefined) throw new InvalidArgumentError(`client mutant must be one of ${CLIENT_MUTANT_NAMES.join(', ')}`);
  return m;
};

const parseWorkload = (raw: string): WorkloadName => {
  const w = raw.trim();
  if (!(WORKLOAD_NAMES as readonly string[]).includes(w)) throw new InvalidArgumentError(`workload must be one of ${WORKLOAD_NAMES.join(', ')}`);
  return w as WorkloadName;
};

/** Ctrl-C aborts the run (teardown still happens); a second one exits at once. */
function abortOnSignals(): AbortSignal {
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    process.stderr.write(`\njepsen-lite: ${sig}: stopping the run and every member it started${interrupts > 1 ? ' (again: exiting now)' : ''}\n`);
    abort.abort();
    if (interrupts > 1) process.exit(130); // the 'exit' handler SIGKILLs the members
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return abort.signal;
}

addRunOptions(
  program
    .command('run')
    .description('start a cluster, run a workload under faults, check the history')
    .option('--nodes <n>', 'cluster size (3 or 5)', int('--nodes', 1, 9), d.nodes)
    .option('--workload <name>', `one of ${WORKLOAD_NAMES.join(', ')}`, d.workload)
    .option('--nemesis <list>', `comma-separated nemeses (${NEMESIS_NAMES.join(', ')}) or groups (${Object.keys(NEMESIS_GROUPS).join(', ')})`, d.nemeses.join(','))
    .option('--test <name>', 'test name (default: <workload>-<nemeses>)')
    .addHelpText('after', `\nWorkloads:\n${WORKLOAD_NAMES.map((w) => `  ${w.padEnd(14)} ${WORKLOAD_SUMMARIES[w]}`).join('\n')}`),
).action(async (a: Record<string, unknown>) => {
  let options: RunOptions;
  try {
    const workload = parseWorkload(String(a['workload']));
    const nemeses = expandNemeses(String(a['nemesis']).split(','));
    options = {
      ...baseOptions(a),
      test: typeof a['test'] === 'string' ? a['test'] : `${workload}-${String(a['nemesis']).replace(/,/g, '+')}`,
      workload,
      nemeses,
    };
    checkRunOptions(options);
  } catch (err) {
    process.stderr.write(`jepsen-lite: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const signal = abortOnSignals();
  const outcome = await runTest(options, { log: (l) => process.stdout.write(`${l}\n`), signal });
  process.exitCode = outcome.valid === true ? 0 : 1;
});

addRunOptions(
  program
    .command('matrix')
    .description('run every workload under every nemesis cell, one run at a time; write summary.md and matrix.json under --store')
    .option('--nodes <n>', 'cluster size of every run', int('--nodes', 1, 9), d.nodes)
    .option('--workloads <list>', `comma-separated workloads (${WORKLOAD_NAMES.join(', ')})`, WORKLOAD_NAMES.join(','))
    .option('--nemeses <list>', "comma-separated cells; each a nemesis, a group, or nemeses joined with '+'", 'partition,kill,pause'),
).action(async (a: Record<string, unknown>) => {
  let cells: MatrixCell[];
  let outDir: string;
  try {
    const workloads = String(a['workloads']).split(',').filter((w) => w.trim() !== '').map(parseWorkload);
    const specs = String(a['nemeses']).split(',').map((s) => s.trim()).filter((s) => s !== '');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    outDir = path.resolve(String(a['store']), `matrix-n${String(a['nodes'])}-${stamp}`);
    cells = planMatrix({ ...baseOptions(a), storeDir: outDir }, workloads, specs);
  } catch (err) {
    process.stderr.write(`jepsen-lite: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const signal = abortOnSignals();
  const log = (l: string): void => {
    process.stdout.write(`${l}\n`);
  };
  log(`matrix of ${cells.length} runs into ${outDir}`);
  const summary = await runMatrix(cells, outDir, { log, signal });
  log(`summary: ${path.join(outDir, 'summary.md')}`);
  process.exitCode = summary.runs.length === cells.length && summary.runs.every((r) => r.valid === true) ? 0 : 1;
});

addRunOptions(
  program
    .command('nemesis-matrix')
    .description("issue 15's matrix: each new nemesis (and --net netns partitions) × register/append/watch × 3/5 members on the healthy build, then each mutant-backed nemesis on one seed with and without KITE_MUTANT; serial runs; results accumulate in --results (recorded cells are skipped unless --redo) and the table is rewritten to --out after every run")
    .option('--out <file>', 'the markdown table', 'docs/jepsen/matrix.md')
    .option('--results <file>', 'the JSON record of every run (default: --out with .json)')
    .option('--only <list>', 'comma-separated substrings: run only the cells whose id contains one')
    .option('--redo', 'run cells even when the results file has them', false)
    .option('--notes <file>', 'markdown placed after the tables (findings)'),
).action(async (a: Record<string, unknown>) => {
  const out = path.resolve(String(a['out']));
  const results = typeof a['results'] === 'string' ? path.resolve(a['results']) : out.replace(/\.md$/, '') + '.json';
  const only = typeof a['only'] === 'string' ? a['only'].split(',').map((s) => s.trim()).filter((s) => s !== '') : null;
  const signal = abortOnSignals();
  const summary = await runNemesisMatrix({
    base: baseOptions(a), out, results, only, redo: a['redo'] === true, signal,
    notes: typeof a['notes'] === 'string' ? path.resolve(a['notes']) : null,
    command: ['node', 'jepsen-lite/dist/cli.js', ...process.argv.slice(2)].join(' '),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.exitCode = summary.unexpected === 0 && summary.missing === 0 ? 0 : 1;
});

program
  .command('check <dir>')
  .description('re-run the checkers on a finished run (store/<test>/<time>) and rewrite results.json and report.html')
  .action((dir: string) => {
    const outcome = recheck(dir, (l) => process.stdout.write(`${l}\n`));
    process.exitCode = outcome.valid === true ? 0 : 1;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`jepsen-lite: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
