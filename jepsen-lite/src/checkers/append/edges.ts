// Derives the dependency edges from the inferred version orders (Elle's inference for
// list-append): for each key with order [x1, x2, ...]
//   ww  writer(xi) → writer(xi+1);
//   wr  writer(last element a transaction read) → the reader;
//   rw  the reader → writer(the element right after what it read) (it read the state before it).
// A transaction's reads see its own earlier appends on top of the external state; those are
// stripped first (and if they are missing, that is an 'internal' anomaly). Read-level
// anomalies found on the way: G1a (read an aborted append), G1b (read an intermediate state
// of another transaction), elements nobody appended.

import type { Json } from '../../history/types.js';
import type { Anomaly } from '../result.js';
import { canonicalJson } from '../result.js';
import type { DependencyGraph } from './graph.js';
import type { Txn } from './txn.js';
import { elementId } from './txn.js';
import type { Writer } from './writers.js';

export interface EdgeInputs {
  readonly committed: readonly Txn[];
  readonly writers: ReadonlyMap<string, Writer>;
  readonly orders: ReadonlyMap<string, readonly Json[]>;
}

export function addWriteWriteEdges(inputs: EdgeInputs, graph: DependencyGraph): void {
  for (const [key, order] of inputs.orders) {
    for (let i = 0; i + 1 < order.length; i++) {
      const a = inputs.writers.get(elementId(key, order[i] ?? null));
      const b = inputs.writers.get(elementId(key, order[i + 1] ?? null));
      if (a === undefined || b === undefined || a.txn.op.type === 'fail' || b.txn.op.type === 'fail') continue;
      graph.add(a.txn.op.id, b.txn.op.id, 'ww', { key, elements: [order[i] ?? null, order[i + 1] ?? null] });
    }
  }
}

export function addReadEdges(inputs: EdgeInputs, graph: DependencyGraph, anomalies: Anomaly[]): void {
  for (const txn of inputs.committed) {
    const own = new Map<string, Json[]>();
    for (const m of txn.micro) {
      if (m.f === 'append') {
        own.set(m.key, [...(own.get(m.key) ?? []), m.element]);
        continue;
      }
      if (m.list === null) continue;
      const external = stripOwn(txn, m.key, m.list, own.get(m.key) ?? [], anomalies);
      if (external === null) continue;
      checkElements(txn, m.key, external, inputs.writers, anomalies);
      addEdgesForRead(txn, m.key, external, inputs, graph);
    }
  }
}

function stripOwn(txn: Txn, key: string, list: readonly Json[], own: readonly Json[], anomalies: Anomaly[]): readonly Json[] | null {
  const tail = list.slice(list.length - own.length);
  if (own.length > 0 && canonicalJson(tail) !== canonicalJson(own)) {
    anomalies.push({
      type: 'internal',
      message: `#${txn.op.id} appended ${canonicalJson(own)} to ${key} but then read ${canonicalJson(list)}`,
      op: txn.op.id,
      key,
      list,
      expectedSuffix: own,
    });
    return null;
  }
  return list.slice(0, list.length - own.length);
}

function checkElements(txn: Txn, key: string, list: readonly Json[], writers: ReadonlyMap<string, Writer>, anomalies: Anomaly[]): void {
  list.forEach((element, i) => {
    const w = writers.get(elementId(key, element));
    if (w === undefined) {
      anomalies.push({
        type: 'garbage-read',
        message: `#${txn.op.id} read ${canonicalJson(element)} in ${key}, which no operation appended`,
        op: txn.op.id, key, element,
      });
    } else if (w.txn.op.type === 'fail') {
      anomalies.push({
        type: 'G1a',
        message: `#${txn.op.id} read ${canonicalJson(element)} in ${key}, appended by aborted #${w.txn.op.id}`,
        op: txn.op.id, writer: w.txn.op.id, key, element,
      });
    } else if (i === list.length - 1 && !w.final && w.txn !== txn) {
      anomalies.push({
        type: 'G1b',
        message: `#${txn.op.id} read ${key} ending in ${canonicalJson(element)}, an intermediate append of #${w.txn.op.id}`,
        op: txn.op.id, writer: w.txn.op.id, key, element,
      });
    }
  });
}

function addEdgesForRead(txn: Txn, key: string, list: readonly Json[], inputs: EdgeInputs, graph: DependencyGraph): void {
  const me = txn.op.id;
  const last = list[list.length - 1];
  if (last !== undefined) {
    const w = inputs.writers.get(elementId(key, last));
    if (w !== undefined && w.txn.op.type !== 'fail') graph.add(w.txn.op.id, me, 'wr', { key, elements: [last] });
  }
  const order = inputs.orders.get(key) ?? [];
  const next = order[list.length];
  if (next === undefined) return;
  const w = inputs.writers.get(elementId(key, next));
  if (w !== undefined && w.txn.op.type !== 'fail') {
    graph.add(me, w.txn.op.id, 'rw', { key, elements: [last ?? null, next] });
  }
}
