// Tarjan's strongly connected components, iterative so that long dependency chains cannot
// overflow the stack. Only components with a cycle (two or more nodes; the graph has no
// self-loops) are returned, each sorted, in order of their smallest node.

import type { DependencyGraph } from './graph.js';

interface Visit {
  readonly node: number;
  readonly successors: readonly number[];
  next: number;
}

export function cyclicComponents(graph: DependencyGraph): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (const root of graph.nodes()) {
    if (index.has(root)) continue;
    const calls: Visit[] = [];
    const enter = (node: number): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      calls.push({ node, successors: [...graph.successors(node).keys()], next: 0 });
    };
    enter(root);
    while (calls.length > 0) {
      const v = calls[calls.length - 1] as Visit;
      if (v.next < v.successors.length) {
        const w = v.successors[v.next++] as number;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(v.node, Math.min(low.get(v.node) ?? 0, index.get(w) ?? 0));
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(v.node) ?? 0));
      if (low.get(v.node) !== index.get(v.node)) continue;
      const component: number[] = [];
      for (;;) {
        const w = stack.pop() as number;
        onStack.delete(w);
        component.push(w);
        if (w === v.node) break;
      }
      if (component.length > 1) out.push(component.sort((a, b) => a - b));
    }
  }
  return out.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
}
