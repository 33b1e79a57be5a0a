// The transaction dependency graph (Adya's DSG plus real-time edges). Nodes are operation
// ids. Between two nodes there may be several kinds of edge; each kind keeps the first reason
// (key and elements) that produced it, so a reported cycle can say why each edge exists.

import type { Json } from '../../history/types.js';

export type EdgeKind = 'ww' | 'wr' | 'rw' | 'rt';
export const EDGE_KINDS: readonly EdgeKind[] = ['ww', 'wr', 'rw', 'rt'];

export interface EdgeReason {
  readonly key?: string;
  /** ww: [earlier, later] elements; wr: the element read last; rw: [last read, next]. */
  readonly elements?: readonly Json[];
}

export class DependencyGraph {
  private readonly out = new Map<number, Map<number, Map<EdgeKind, EdgeReason>>>();
  private readonly counts: Record<EdgeKind, number> = { ww: 0, wr: 0, rw: 0, rt: 0 };

  add(from: number, to: number, kind: EdgeKind, reason: EdgeReason = {}): void {
    if (from === to) return;
    let targets = this.out.get(from);
    if (targets === undefined) {
      targets = new Map();
      this.out.set(from, targets);
    }
    let kinds = targets.get(to);
    if (kinds === undefined) {
      kinds = new Map();
      targets.set(to, kinds);
    }
    if (kinds.has(kind)) return;
    kinds.set(kind, reason);
    this.counts[kind]++;
  }

  nodes(): number[] {
    const all = new Set<number>();
    for (const [from, targets] of this.out) {
      all.add(from);
      for (const to of targets.keys()) all.add(to);
    }
    return [...all].sort((a, b) => a - b);
  }

  /** Successors of `from` with the kinds of the edges leading there. */
  successors(from: number): ReadonlyMap<number, ReadonlyMap<EdgeKind, EdgeReason>> {
    return this.out.get(from) ?? new Map();
  }

  reason(from: number, to: number, kind: EdgeKind): EdgeReason | undefined {
    return this.out.get(from)?.get(to)?.get(kind);
  }

  edgeCount(kind: EdgeKind): number {
    return this.counts[kind];
  }
}
