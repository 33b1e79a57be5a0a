// Real-time edges: A → B when A completed before B was invoked. Instead of all O(n²) pairs
// we keep a frontier of recently completed operations: B gets edges from the frontier at its
// invoke, and when A completes it replaces in the frontier everything that preceded A (those
// reach B through A anyway). The frontier is bounded by the concurrency.

import type { Operation } from '../../history/types.js';
import type { DependencyGraph } from './graph.js';

export function addRealtimeEdges(ops: readonly Operation[], graph: DependencyGraph): void {
  const events: Array<{ at: number; op: Operation; invoke: boolean }> = [];
  for (const op of ops) {
    events.push({ at: op.invokeIndex, op, invoke: true });
    if (op.completeIndex !== null && op.type === 'ok') events.push({ at: op.completeIndex, op, invoke: false });
  }
  events.sort((a, b) => a.at - b.at);
  let frontier = new Set<number>();
  const predecessors = new Map<number, ReadonlySet<number>>();
  for (const e of events) {
    if (e.invoke) {
      predecessors.set(e.op.id, frontier);
      for (const a of frontier) graph.add(a, e.op.id, 'rt');
      continue;
    }
    const before = predecessors.get(e.op.id) ?? new Set<number>();
    frontier = new Set([...frontier].filter((a) => !before.has(a)));
    frontier.add(e.op.id);
  }
}
