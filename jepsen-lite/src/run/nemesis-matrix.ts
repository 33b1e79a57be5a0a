// The nemesis matrix of issue 15: every nemesis added for it (and --net netns partitions) under
// the register, append and watch workloads on 3 and 5 members, each expected valid on the
// healthy build; then each nemesis run twice on one seed against the mutant that plants the
// bug it exists to find: on the healthy build (expected valid) and with the mutant on
// (expected invalid), a server one (KITE_MUTANT, packages/server/src/mutants.ts) or, for the
// client-link nemeses, a client one (--client-mutant, @kite/client client-mutants.ts). Runs
// are short and serial.
// Results accumulate in a JSON file keyed by cell id, so the matrix can be run in parts
// (`--only`) or resumed, and the markdown is always rendered from every recorded cell.

import type { ClientMutantName } from '@kite/client';
import type { MatrixCell, MatrixRunRecord } from './matrix.js';
import { expandNemeses } from '../nemesis/types.js';
import type { WorkloadName } from '../workloads/types.js';
import { runCommandLine } from './command-line.js';
import type { RunOptions } from './options.js';

export const MATRIX_WORKLOADS: readonly WorkloadName[] = ['register', 'append', 'watch'];
export const MATRIX_SIZES: readonly number[] = [3, 5];

export interface MatrixRow {
  /** The row's label (the nemesis spec, or `<spec> (netns)`). */
  readonly label: string;
  /** A nemesis spec for --nemesis (a name or a group). */
  readonly nemesis: string;
  readonly net: RunOptions['net'];
  /** Settings every run of the row needs (the clock nemesis matters only with lease reads). */
  readonly serverEnv: Readonly<Record<string, string>>;
}

const LEASE_READS = { KITE_LEASE_READS: 'true' } as const;

export const MATRIX_ROWS: readonly MatrixRow[] = [
  { label: 'clock', nemesis: 'clock', net: 'proxy', serverEnv: LEASE_READS },
  ...['corrupt', 'blackhole-snapshot', 'client-partition', 'client-delay', 'client-one-way', 'failpoint', 'gray-leader', 'gray-follower']
    .map((n): MatrixRow => ({ label: n, nemesis: n, net: 'proxy', serverEnv: {} })),
  { label: 'partition (netns)', nemesis: 'partition', net: 'netns', serverEnv: {} },
];

export interface MutantProof {
  /** The row's label and cell-id part (the nemesis spec, or `<spec> (netns)`). */
  readonly label: string;
  /** A nemesis spec for --nemesis. */
  readonly nemesis: string;
  readonly net: RunOptions['net'];
  /** A server mutant (KITE_MUTANT, packages/server/src/mutants.ts) or a client one (--client-mutant, @kite/client client-mutants.ts). */
  readonly mutant: { readonly side: 'server'; readonly name: string } | { readonly side: 'client'; readonly name: ClientMutantName };
  readonly workload: WorkloadName;
  readonly seed: number;
  readonly serverEnv: Readonly<Record<string, string>>;
  /**
   * Client processes on both builds, when not the run's default: a bug that only a client
   * pinned to a follower meets (the workers alternate preferLeader) needs more such clients to
   * show on most runs.
   */
  readonly concurrency?: number;
}

const server = (name: string): MutantProof['mutant'] => ({ side: 'server', name });
const client = (name: ClientMutantName): MutantProof['mutant'] => ({ side: 'client', name });

/**
 * One pair per nemesis that has one (gray-follower has none: see the findings note,
 * docs/jepsen/matrix-2026-12-07-findings.md). The first three seeds are the ones
 * the previous round's closing note recorded each mutant caught on; the rest are the first
 * seed each mutant was caught on (the seeds tried before it are in the findings note).
 */
export const MUTANT_PROOFS: readonly MutantProof[] = [
  { label: 'clock', nemesis: 'clock', net: 'proxy', mutant: server('wall-clock-ticks'), workload: 'register', seed: 12, serverEnv: LEASE_READS },
  { label: 'corrupt', nemesis: 'corrupt', net: 'proxy', mutant: server('trust-damaged-wal'), workload: 'register', seed: 23, serverEnv: {} },
  { label: 'blackhole-snapshot', nemesis: 'blackhole-snapshot', net: 'proxy', mutant: server('watch-ignore-restore'), workload: 'watch', seed: 31, serverEnv: {} },
  { label: 'client-delay', nemesis: 'client-delay', net: 'proxy', mutant: client('watch-resume-from-now'), workload: 'watch', seed: 1, serverEnv: {} },
  { label: 'client-partition', nemesis: 'client-partition', net: 'proxy', mutant: client('watch-resume-from-now'), workload: 'watch', seed: 2, serverEnv: {}, concurrency: 10 },
  { label: 'client-one-way', nemesis: 'client-one-way', net: 'proxy', mutant: client('lost-answer-as-failure'), workload: 'register', seed: 2, serverEnv: {}, concurrency: 10 },
  { label: 'failpoint', nemesis: 'failpoint', net: 'proxy', mutant: server('applied-index-before-apply'), workload: 'append', seed: 1, serverEnv: {} },
  { label: 'gray-leader', nemesis: 'gray-leader', net: 'proxy', mutant: server('follower-local-reads'), workload: 'register', seed: 3, serverEnv: {}, concurrency: 10 },
  { label: 'partition-leader (netns)', nemesis: 'partition-leader', net: 'netns', mutant: server('leader-reads-without-quorum'), workload: 'register', seed: 1, serverEnv: {} },
];

/** The settings that make a cell run the proof's mutant. */
function mutantOptions(p: MutantProof): Pick<RunOptions, 'serverEnv' | 'clientMutant'> {
  return p.mutant.side === 'server' ? { serverEnv: { KITE_MUTANT: p.mutant.name }, clientMutant: null } : { serverEnv: {}, clientMutant: p.mutant.name };
}

export interface NemesisMatrixCell extends MatrixCell {
  /** Stable key in the results file: `<row>/<workload>/n<nodes>` or `mutant/<nemesis>/<build>`. */
  readonly id: string;
  /** What a correct harness and server give: the mutant build must be caught. */
  readonly expect: 'valid' | 'invalid';
}

function cell(base: RunOptions, id: string, workload: WorkloadName, nemesis: string, o: Partial<RunOptions>, expect: NemesisMatrixCell['expect']): NemesisMatrixCell {
  const options: RunOptions = { ...base, ...o, workload, nemeses: expandNemeses([nemesis]), test: `matrix-${id.replace(/[^\w.-]+/g, '-')}` };
  return { id, workload, nemesis, options, command: runCommandLine(options), expect };
}

/** Every cell, in run order: the healthy grid row by row, then the mutant pairs. */
export function planNemesisMatrix(base: RunOptions): NemesisMatrixCell[] {
  const cells: NemesisMatrixCell[] = [];
  for (const row of MATRIX_ROWS) {
    for (const nodes of MATRIX_SIZES) {
      for (const w of MATRIX_WORKLOADS) {
        cells.push(cell(base, `${row.label}/${w}/n${nodes}`, w, row.nemesis, { nodes, net: row.net, serverEnv: { ...base.serverEnv, ...row.serverEnv } }, 'valid'));
      }
    }
  }
  for (const p of MUTANT_PROOFS) {
    const o = { nodes: 3, seed: p.seed, net: p.net, ...(p.concurrency === undefined ? {} : { concurrency: p.concurrency }) };
    const m = mutantOptions(p);
    cells.push(cell(base, `mutant/${p.label}/healthy`, p.workload, p.nemesis, { ...o, serverEnv: { ...base.serverEnv, ...p.serverEnv } }, 'valid'));
    cells.push(cell(base, `mutant/${p.label}/${p.mutant.name}`, p.workload, p.nemesis, { ...o, serverEnv: { ...base.serverEnv, ...p.serverEnv, ...m.serverEnv }, clientMutant: m.clientMutant }, 'invalid'));
  }
  return cells;
}

export type RecordedRuns = Readonly<Record<string, MatrixRunRecord & { readonly finishedAt: string }>>;

const verdict = (r: MatrixRunRecord): string => {
  const v = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
  const why = [...r.failures.map((f) => f.checker), ...(r.error !== null ? ['run error'] : [])];
  return why.length === 0 ? v : `${v} (${why.join(', ')})`;
};

/** A cell's text: the verdict, bold when it is not what the cell expects. */
function cellText(c: NemesisMatrixCell, runs: RecordedRuns): string {
  const r = runs[c.id];
  if (r === undefined) return '—';
  const expected = (c.expect === 'valid') === (r.valid === true);
  return expected ? verdict(r) : `**${verdict(r)}**`;
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `notes`: markdown placed after the tables (what the runs found and what was done about it). */
export function renderNemesisMatrix(cells: readonly NemesisMatrixCell[], runs: RecordedRuns, header: readonly string[], notes = ''): string {
  const lines: string[] = [...header, ''];
  const done = cells.filter((c) => runs[c.id] !== undefined);
  const surprises = done.filter((c) => (c.expect === 'valid') !== (runs[c.id]?.valid === true));
  lines.push(`${done.length} of ${cells.length} runs recorded; ${surprises.length} not as expected (in bold).`, '');
  lines.push('## Healthy build (expected: valid)', '');
  const cols = MATRIX_SIZES.flatMap((n) => MATRIX_WORKLOADS.map((w) => ({ n, w })));
  lines.push(`| nemesis | ${cols.map(({ n, w }) => `${w} n${n}`).join(' | ')} |`);
  lines.push(`|---|${cols.map(() => '---').join('|')}|`);
  for (const row of MATRIX_ROWS) {
    const texts = cols.map(({ n, w }) => {
      const c = cells.find((x) => x.id === `${row.label}/${w}/n${n}`);
      return c === undefined ? '—' : cellText(c, runs);
    });
    lines.push(`| ${md(row.label)} | ${texts.join(' | ')} |`);
  }
  lines.push('', '## Each nemesis against its mutant (same seed; expected: healthy valid, mutant invalid)', '');
  lines.push('| nemesis | workload | seed | mutant (server KITE_MUTANT or --client-mutant) | healthy build | mutant build |', '|---|---|---|---|---|---|');
  for (const p of MUTANT_PROOFS) {
    const find = (suffix: string): NemesisMatrixCell | undefined => cells.find((x) => x.id === `mutant/${p.label}/${suffix}`);
    const h = find('healthy');
    const m = find(p.mutant.name);
    const workload = p.concurrency === undefined ? p.workload : `${p.workload}, ${p.concurrency} clients`;
    lines.push(`| ${md(p.label)} | ${workload} | ${p.seed} | ${p.mutant.side} ${p.mutant.name} | ${h === undefined ? '—' : cellText(h, runs)} | ${m === undefined ? '—' : cellText(m, runs)} |`);
  }
  if (notes.trim() !== '') lines.push('', notes.trim());
  lines.push('', '## Runs', '');
  for (const c of done) {
    const r = runs[c.id] as MatrixRunRecord;
    lines.push(`- **${md(c.id)}**: ${cellText(c, runs)}, ${(r.wallMs / 1000).toFixed(0)} s wall`);
    lines.push(`  - \`${r.command}\``);
    for (const f of r.failures) lines.push(`  - ${f.checker}: ${String(f.valid)}, ${f.anomalies} anomalies${f.first === '' ? '' : `; first: ${md(f.first)}`}`);
    if (r.error !== null) lines.push(`  - error: ${md(r.error.split('\n')[0] ?? '')}`);
  }
  return lines.join('\n') + '\n';
}
