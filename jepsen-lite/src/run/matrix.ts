// A matrix of runs: every workload under every nemesis cell, one run at a time (the runs share
// the machine's cores and loopback ports), all with the same base options and seed. After
// each run the summary is rewritten, so a matrix cut short (deadline, Ctrl-C) still leaves a
// table of what ran: matrix.json (every run's verdicts, failing checkers, run dir and the
// `jepsen-lite run` command line that reproduces it alone) and summary.md (workload ×
// nemesis table, then one line per run).
// A nemesis cell is one spec: a nemesis name, a group (partition, kill, pause, ...) or names
// joined with '+'.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Validity } from '../checkers/index.js';
import { expandNemeses } from '../nemesis/types.js';
import { monotonicMs } from '../util/time.js';
import type { WorkloadName } from '../workloads/types.js';
import { runCommandLine } from './command-line.js';
import type { RunOptions } from './options.js';
import { runTest, type RunOutcome } from './runner.js';

/** Most runs one matrix may plan (a typo in a list should not queue a day of runs). */
export const MATRIX_RUNS_MAX = 500;
/** Characters of a failing checker's first anomaly kept in the summary. */
const ANOMALY_CHARS_MAX = 300;

export interface MatrixCell {
  readonly workload: WorkloadName;
  /** The nemesis spec as given (a column of the table). */
  readonly nemesis: string;
  readonly options: RunOptions;
  readonly command: string;
}

export interface MatrixRunRecord {
  readonly workload: WorkloadName;
  readonly nemesis: string;
  readonly nodes: number;
  readonly seed: number;
  readonly command: string;
  readonly dir: string | null;
  readonly valid: Validity;
  readonly checkers: Readonly<Record<string, Validity>>;
  /** Checkers that were not valid, each with its first anomaly's message. */
  readonly failures: readonly { readonly checker: string; readonly valid: Validity; readonly anomalies: number; readonly first: string }[];
  readonly error: string | null;
  readonly wallMs: number;
}

export interface MatrixSummary {
  readonly nodes: number;
  readonly seed: number;
  readonly workloads: readonly string[];
  readonly nemeses: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly planned: number;
  readonly runs: readonly MatrixRunRecord[];
}

/** The cells in run order: workload-major, nemesis specs in the given order. */
export function planMatrix(base: RunOptions, workloads: readonly WorkloadName[], nemesisSpecs: readonly string[]): MatrixCell[] {
  const cells: MatrixCell[] = [];
  if (workloads.length * nemesisSpecs.length > MATRIX_RUNS_MAX) {
    throw new RangeError(`a matrix of ${workloads.length * nemesisSpecs.length} runs exceeds ${MATRIX_RUNS_MAX}`);
  }
  for (const workload of workloads) {
    for (const spec of nemesisSpecs) {
      const nemeses = expandNemeses(spec.split('+'));
      const options: RunOptions = { ...base, workload, nemeses, test: `${workload}-${spec}-n${base.nodes}` };
      cells.push({ workload, nemesis: spec, options, command: runCommandLine(options) });
    }
  }
  return cells;
}

export function recordOf(cell: MatrixCell, outcome: RunOutcome | null, error: string | null, wallMs: number): MatrixRunRecord {
  const results = outcome?.results ?? [];
  return {
    workload: cell.workload,
    nemesis: cell.nemesis,
    nodes: cell.options.nodes,
    seed: cell.options.seed,
    command: cell.command,
    dir: outcome?.dir ?? null,
    valid: outcome?.valid ?? 'unknown',
    checkers: Object.fromEntries(results.map((r) => [r.checker, r.valid])),
    failures: results.filter((r) => r.valid !== true).map((r) => ({
      checker: r.checker, valid: r.valid, anomalies: r.anomalies.length,
      first: (r.anomalies[0]?.message ?? '').slice(0, ANOMALY_CHARS_MAX),
    })),
    error: outcome?.error ?? error,
    wallMs,
  };
}

const verdict = (v: Validity): string => (v === true ? 'valid' : v === false ? '**INVALID**' : '*unknown*');
const cellText = (r: MatrixRunRecord): string =>
  r.failures.length === 0 && r.error === null ? verdict(r.valid) : `${verdict(r.valid)} (${[...r.failures.map((f) => f.checker), ...(r.error !== null ? ['run error'] : [])].join(', ')})`;
const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMatrixMarkdown(s: MatrixSummary): string {
  const lines: string[] = [];
  lines.push(`# jepsen-lite matrix: ${s.nodes} members, seed ${s.seed}`, '');
  lines.push(`Started ${s.startedAt}; ${s.finishedAt === null ? `in progress (${s.runs.length} of ${s.planned} runs done)` : `finished ${s.finishedAt} (${s.runs.length} of ${s.planned} runs)`}.`, '');
  lines.push(`| workload | ${s.nemeses.map(md).join(' | ')} |`);
  lines.push(`|---|${s.nemeses.map(() => '---').join('|')}|`);
  for (const w of s.workloads) {
    const row = s.nemeses.map((n) => {
      const r = s.runs.find((x) => x.workload === w && x.nemesis === n);
      return r === undefined ? '—' : cellText(r);
    });
    lines.push(`| ${md(w)} | ${row.join(' | ')} |`);
  }
  lines.push('', '## Runs', '');
  for (const r of s.runs) {
    lines.push(`- **${r.workload} × ${r.nemesis}** (${r.nodes} members): ${cellText(r)}, ${(r.wallMs / 1000).toFixed(0)} s wall`);
    lines.push(`  - \`${r.command}\``);
    lines.push(`  - run dir: ${r.dir ?? '(none)'}`);
    for (const f of r.failures) lines.push(`  - ${f.checker}: ${String(f.valid)}, ${f.anomalies} anomalies${f.first === '' ? '' : `; first: ${md(f.first)}`}`);
    if (r.error !== null) lines.push(`  - error: ${md(r.error.split('\n')[0] ?? '')}`);
  }
  return lines.join('\n') + '\n';
}

export interface MatrixHooks {
  log(line: string): void;
  readonly signal?: AbortSignal;
}

/** Runs the cells one after another into `outDir`; returns the final summary. */
export async function runMatrix(cells: readonly MatrixCell[], outDir: string, hooks: MatrixHooks): Promise<MatrixSummary> {
  mkdirSync(outDir, { recursive: true });
  const first = cells[0];
  const runs: MatrixRunRecord[] = [];
  const base = {
    nodes: first?.options.nodes ?? 0,
    seed: first?.options.seed ?? 0,
    workloads: [...new Set(cells.map((c) => c.workload))],
    nemeses: [...new Set(cells.map((c) => c.nemesis))],
    startedAt: new Date().toISOString(),
    planned: cells.length,
  };
  const write = (finishedAt: string | null): MatrixSummary => {
    const s: MatrixSummary = { ...base, finishedAt, runs };
    writeFileSync(path.join(outDir, 'matrix.json'), JSON.stringify(s, null, 2) + '\n');
    writeFileSync(path.join(outDir, 'summary.md'), renderMatrixMarkdown(s));
    return s;
  };
  write(null);
  for (const [i, cell] of cells.entries()) {
    if (hooks.signal?.aborted === true) break;
    hooks.log(`matrix ${i + 1}/${cells.length}: ${cell.command}`);
    const t0 = monotonicMs();
    let outcome: RunOutcome | null = null;
    let error: string | null = null;
    try {
      outcome = await runTest(cell.options, { log: (l) => hooks.log(`  ${l}`), ...(hooks.signal !== undefined ? { signal: hooks.signal } : {}) });
    } catch (err) {
      error = (err as Error).stack ?? String(err);
    }
    const rec = recordOf(cell, outcome, error, monotonicMs() - t0);
    runs.push(rec);
    hooks.log(`matrix ${i + 1}/${cells.length}: ${cell.workload} × ${cell.nemesis}: ${cellText(rec)}`);
    write(null);
  }
  return write(new Date().toISOString());
}
