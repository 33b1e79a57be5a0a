// Runs the nemesis matrix (nemesis-matrix.ts) one run at a time: loads the results recorded so
// far, runs the cells not yet recorded (or every selected one with `redo`), and after each run
// rewrites the results file and the markdown table, so a matrix cut short still leaves both.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { monotonicMs } from '../util/time.js';
import { hostInfo } from './host-info.js';
import { recordOf } from './matrix.js';
import { planNemesisMatrix, renderNemesisMatrix, type RecordedRuns } from './nemesis-matrix.js';
import type { RunOptions } from './options.js';
import { runTest, type RunOutcome } from './runner.js';

export interface NemesisMatrixRun {
  readonly base: RunOptions;
  /** Markdown table path; the JSON record of runs is `results`. */
  readonly out: string;
  readonly results: string;
  /** Substrings of cell ids to run (null: all). */
  readonly only: readonly string[] | null;
  readonly redo: boolean;
  /** A markdown file placed after the tables (findings), or null. */
  readonly notes: string | null;
  /** The command line that made the table (written into it). */
  readonly command: string;
  readonly signal: AbortSignal;
  log(line: string): void;
}

export interface NemesisMatrixSummary {
  /** Recorded cells whose verdict is not the expected one. */
  readonly unexpected: number;
  /** Selected cells with no record (aborted). */
  readonly missing: number;
}

function loadRuns(file: string): Record<string, RecordedRuns[string]> {
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { runs?: RecordedRuns };
  return { ...(parsed.runs ?? {}) };
}

export async function runNemesisMatrix(m: NemesisMatrixRun): Promise<NemesisMatrixSummary> {
  const cells = planNemesisMatrix(m.base);
  const selected = cells.filter((c) => m.only === null || m.only.some((s) => c.id.includes(s)));
  const runs = loadRuns(m.results);
  const header = [
    '# jepsen-lite nemesis matrix (issue 15)',
    '',
    `Made by \`${m.command}\` (\`npx -y pnpm@9.15.9 jepsen:matrix\` builds first and runs the whole matrix),`,
    `one run at a time on a ${cpus().length}-core machine shared with other work: ${m.base.faultMs / 1000} s of faults per run, ${m.base.calmMs} ms calm, rate ${m.base.rateHz}/s, ${m.base.concurrency} clients, seed ${m.base.seed} unless the row says otherwise.`,
    `Code: commit ${hostInfo(m.base.serverBin).gitCommit ?? 'unknown'} when the table was last written (each run's results.json records the commit it ran; cells recorded by earlier invocations, e.g. with \`--only\`, are kept).`,
    'Each run line below is its repro command. A healthy-build run that is not valid is a finding.',
  ];
  const write = (): void => {
    mkdirSync(path.dirname(m.results), { recursive: true });
    writeFileSync(m.results, JSON.stringify({ command: m.command, runs }, null, 2) + '\n');
    writeFileSync(m.out, renderNemesisMatrix(cells, runs, header, m.notes === null ? '' : readFileSync(m.notes, 'utf8')));
  };
  write();
  const todo = selected.filter((c) => m.redo || runs[c.id] === undefined);
  m.log(`nemesis matrix: ${todo.length} runs to do (${selected.length} selected of ${cells.length}); table ${m.out}`);
  for (const [i, c] of todo.entries()) {
    if (m.signal.aborted) break;
    m.log(`matrix ${i + 1}/${todo.length} ${c.id}: ${c.command}`);
    const t0 = monotonicMs();
    let outcome: RunOutcome | null = null;
    let error: string | null = null;
    try {
      outcome = await runTest(c.options, { log: (l) => m.log(`  ${l}`), signal: m.signal });
    } catch (err) {
      error = (err as Error).stack ?? String(err);
    }
    if (m.signal.aborted) break; // an aborted run says nothing about the build
    runs[c.id] = { ...recordOf(c, outcome, error, monotonicMs() - t0), finishedAt: new Date().toISOString() };
    m.log(`matrix ${i + 1}/${todo.length} ${c.id}: valid=${String(runs[c.id]?.valid)} (expected ${c.expect})`);
    write();
  }
  write();
  const unexpected = selected.filter((c) => runs[c.id] !== undefined && (c.expect === 'valid') !== (runs[c.id]?.valid === true)).length;
  return { unexpected, missing: selected.filter((c) => runs[c.id] === undefined).length };
}
