// Elle-style list-append checker (Kingsbury & Alvaro 2020): infer version orders from reads,
// build the dependency graph (ww, wr, rw, optionally real-time), find strongly connected
// components with Tarjan's algorithm and name a cycle in each after Adya (G0, G1c, G-single,
// G2, or '-realtime' variants). Read-level anomalies (G1a, G1b, duplicates, incompatible
// orders, internal, garbage reads) come from the inference itself.

import type { Operation } from '../../history/types.js';
import type { Anomaly, CheckResult } from '../result.js';
import { capAnomalies } from '../result.js';
import { Budget, cycleAnomaly, dependencyCycles, realtimeCycles } from './cycles.js';
import { addReadEdges, addWriteWriteEdges } from './edges.js';
import { DependencyGraph } from './graph.js';
import { addRealtimeEdges } from './realtime.js';
import { cyclicComponents } from './scc.js';
import { parseTxn } from './txn.js';
import { inferVersionOrders } from './version-order.js';
import { indexWriters } from './writers.js';

/** How many anomalies of each type the result lists (all are counted in stats). */
export const APPEND_ANOMALIES_PER_TYPE_MAX = 20;
/** Edge visits allowed for naming cycles; past it a cycle is reported unclassified. */
export const APPEND_CYCLE_SEARCH_STEPS_MAX = 20_000_000;

export interface AppendOptions {
  /** Add real-time edges: checks strict serializability, not just serializability. */
  readonly realtime?: boolean;
  readonly cycleSearchStepsMax?: number;
}

export function checkAppend(operations: readonly Operation[], options: AppendOptions = {}): CheckResult {
  const txns = operations.filter((op) => op.f === 'txn').map(parseTxn);
  const committed = txns.filter((t) => t.op.type === 'ok');
  const anomalies: Anomaly[] = [];
  const writers = indexWriters(txns, anomalies);
  const orders = inferVersionOrders(committed, anomalies);
  const inputs = { committed, writers, orders };

  const deps = new DependencyGraph();
  addWriteWriteEdges(inputs, deps);
  addReadEdges(inputs, deps, anomalies);
  const budget = new Budget(options.cycleSearchStepsMax ?? APPEND_CYCLE_SEARCH_STEPS_MAX);
  const depComponents = cyclicComponents(deps);
  const inDepCycle = new Set<number>();
  for (const component of depComponents) {
    const cycles = dependencyCycles(deps, component, budget);
    if (cycles.length === 0) anomalies.push(unclassified(component));
    for (const c of cycles) anomalies.push(cycleAnomaly(c));
    for (const n of component) inDepCycle.add(n);
  }

  let rtComponents = 0;
  let rtEdges = 0;
  if (options.realtime ?? true) {
    const full = new DependencyGraph();
    addWriteWriteEdges(inputs, full);
    addReadEdges(inputs, full, []);
    addRealtimeEdges(txns.filter((t) => t.op.type !== 'fail').map((t) => t.op), full);
    rtEdges = full.edgeCount('rt');
    for (const component of cyclicComponents(full)) {
      // Where the dependencies alone already form a cycle, that cycle is the finding.
      if (component.some((n) => inDepCycle.has(n))) continue;
      rtComponents++;
      const cycles = realtimeCycles(full, component, budget);
      if (cycles.length === 0) anomalies.push(unclassified(component));
      for (const c of cycles) anomalies.push(cycleAnomaly(c));
    }
  }
  return {
    checker: 'append',
    valid: anomalies.length === 0,
    anomalies: capAnomalies(anomalies, APPEND_ANOMALIES_PER_TYPE_MAX),
    stats: {
      anomalies: anomalies.length,
      txns: txns.length,
      committed: committed.length,
      keys: orders.size,
      ww: deps.edgeCount('ww'),
      wr: deps.edgeCount('wr'),
      rw: deps.edgeCount('rw'),
      rt: rtEdges,
      cyclicComponents: depComponents.length + rtComponents,
      cycleSearchSteps: budget.used,
    },
  };
}

function unclassified(component: readonly number[]): Anomaly {
  return {
    type: 'cycle',
    message: `operations ${component.map((n) => `#${n}`).join(', ')} form a dependency cycle (search budget exhausted before naming it)`,
    ops: component,
  };
}
