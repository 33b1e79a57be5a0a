// Finds and names cycles inside a strongly connected component, after Adya's phenomena:
//   G0        a cycle of write-write (ww) edges only;
//   G1c       ww and write-read (wr) edges, at least one wr;
//   G-single  exactly one anti-dependency (rw) edge, the rest ww/wr;
//   G2        two or more rw edges.
// Each search picks a seed edge of the kind the class needs (a→b) and looks for the shortest
// path b→a over the allowed kinds (breadth-first, so the cycle is simple); the cycle is then
// named by its edges. A G2 search may find a one-rw cycle instead; that one is a G-single,
// which its own search reports, so nothing is lost. The real-time pass seeds with rt edges
// and appends '-realtime' (a violation of strict serializability only).

import type { Anomaly } from '../result.js';
import type { DependencyGraph, EdgeKind, EdgeReason } from './graph.js';

export type CycleClass = 'G0' | 'G1c' | 'G-single' | 'G2';

/** Prefer the weakest explanation for an edge: ww before wr before rw before rt. */
const KIND_PREFERENCE: readonly EdgeKind[] = ['ww', 'wr', 'rw', 'rt'];

export interface CycleStep {
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  readonly reason: EdgeReason;
}

interface Search {
  readonly name: CycleClass;
  readonly seed: EdgeKind;
  readonly allowed: ReadonlySet<EdgeKind>;
}

const DEPENDENCY_SEARCHES: readonly Search[] = [
  { name: 'G0', seed: 'ww', allowed: new Set(['ww']) },
  { name: 'G1c', seed: 'wr', allowed: new Set(['ww', 'wr']) },
  { name: 'G-single', seed: 'rw', allowed: new Set(['ww', 'wr']) },
  { name: 'G2', seed: 'rw', allowed: new Set(['ww', 'wr', 'rw']) },
];
const ALL_KINDS: ReadonlySet<EdgeKind> = new Set(KIND_PREFERENCE);

/** A budget shared by all searches of one check, counted in edge visits. */
export class Budget {
  used = 0;
  constructor(readonly max: number) {}
  spend(): boolean {
    this.used++;
    return this.used <= this.max;
  }
}

export function classify(cycle: readonly CycleStep[]): string {
  const n = (k: EdgeKind): number => cycle.filter((s) => s.kind === k).length;
  const base = n('rw') >= 2 ? 'G2' : n('rw') === 1 ? 'G-single' : n('wr') >= 1 ? 'G1c' : 'G0';
  return n('rt') > 0 ? `${base}-realtime` : base;
}

/** One cycle per class found in the component, most severe class first. */
export function dependencyCycles(graph: DependencyGraph, component: readonly number[], budget: Budget): CycleStep[][] {
  const found = new Map<string, CycleStep[]>();
  for (const s of DEPENDENCY_SEARCHES) {
    if (found.has(s.name)) continue;
    const cycle = searchSeeded(graph, component, s.seed, s.allowed, budget, (c) => !found.has(classify(c)));
    if (cycle !== null) found.set(classify(cycle), cycle);
  }
  return [...found.values()];
}

/** One cycle per '-realtime' class found in the component. */
export function realtimeCycles(graph: DependencyGraph, component: readonly number[], budget: Budget): CycleStep[][] {
  const found = new Map<string, CycleStep[]>();
  for (;;) {
    const cycle = searchSeeded(graph, component, 'rt', ALL_KINDS, budget, (c) => !found.has(classify(c)));
    if (cycle === null) return [...found.values()];
    found.set(classify(cycle), cycle);
  }
}

/** The first cycle through a seed edge of kind `seed` that `wanted` accepts, or null. */
function searchSeeded(
  graph: DependencyGraph,
  component: readonly number[],
  seed: EdgeKind,
  allowed: ReadonlySet<EdgeKind>,
  budget: Budget,
  wanted: (cycle: CycleStep[]) => boolean,
): CycleStep[] | null {
  const members = new Set(component);
  for (const a of component) {
    for (const [b, kinds] of graph.successors(a)) {
      if (!members.has(b) || !kinds.has(seed)) continue;
      if (!budget.spend()) return null;
      const path = shortestPath(graph, members, b, a, allowed, budget);
      if (path === null) continue;
      const cycle = [step(graph, a, b, new Set([seed])), ...path];
      if (wanted(cycle)) return cycle;
    }
  }
  return null;
}

function shortestPath(
  graph: DependencyGraph,
  members: ReadonlySet<number>,
  from: number,
  to: number,
  allowed: ReadonlySet<EdgeKind>,
  budget: Budget,
): CycleStep[] | null {
  const parent = new Map<number, number>([[from, from]]);
  let frontier = [from];
  while (frontier.length > 0 && !parent.has(to)) {
    const next: number[] = [];
    for (const u of frontier) {
      for (const [v, kinds] of graph.successors(u)) {
        if (!budget.spend()) return null;
        if (parent.has(v) || !members.has(v) || ![...kinds.keys()].some((k) => allowed.has(k))) continue;
        parent.set(v, u);
        next.push(v);
      }
    }
    frontier = next;
  }
  if (!parent.has(to)) return null;
  const nodes = [to];
  while (nodes[0] !== from) nodes.unshift(parent.get(nodes[0] as number) as number);
  return nodes.slice(1).map((v, i) => step(graph, nodes[i] as number, v, allowed));
}

function step(graph: DependencyGraph, from: number, to: number, allowed: ReadonlySet<EdgeKind>): CycleStep {
  for (const kind of KIND_PREFERENCE) {
    const reason = allowed.has(kind) ? graph.reason(from, to, kind) : undefined;
    if (reason !== undefined) return { from, to, kind, reason };
  }
  throw new Error(`no allowed edge ${from}→${to}`);
}

export function describeCycle(cycle: readonly CycleStep[]): string {
  const parts = cycle.map((s) => {
    const r = s.reason;
    const detail = r.key === undefined ? '' : ` ${r.key}${r.elements === undefined ? '' : ':' + JSON.stringify(r.elements)}`;
    return `#${s.from} -${s.kind}${detail}->`;
  });
  return `${parts.join(' ')} #${cycle[0]?.from ?? '?'}`;
}

export function cycleAnomaly(cycle: CycleStep[]): Anomaly {
  const type = classify(cycle);
  return { type, message: `${type}: ${describeCycle(cycle)}`, cycle, ops: cycle.map((s) => s.from) };
}
