// A member must never serve after its synced files were damaged (the corrupt nemesis): it
// refuses to start, and serves again only once it was re-added from a clean data directory.
// Its window opens at the nemesis's `kill` entry of kind "corrupt" and closes at the member's
// next `add-member`; an operation that completed ok, served by that member, inside the window
// is an anomaly (served-after-corruption). A window never closed lasts to the end of history.
// The nemesis's own `corrupt` entry with outcome "running" is one too (started-on-corruption):
// the member came up on damaged synced files and took part in Raft (votes, acknowledgements,
// reads) whether or not a workload client happened to be connected to it.

import type { NemesisEntry, Operation } from '../history/types.js';
import type { Anomaly, CheckResult } from './result.js';

/** Anomalies listed per member (the count is always complete). */
export const CORRUPT_SERVED_OPS_MAX = 20;

interface Window {
  readonly node: string;
  readonly startNs: number;
  endNs: number;
}

function corruptionWindows(nemesis: readonly NemesisEntry[]): Window[] {
  const out: Window[] = [];
  for (const e of nemesis) {
    const v = e.value as { kind?: unknown; nodes?: unknown; node?: unknown } | null;
    if (e.f === 'kill' && v?.kind === 'corrupt' && Array.isArray(v.nodes)) {
      for (const node of v.nodes) if (typeof node === 'string') out.push({ node, startNs: e.time, endNs: Number.POSITIVE_INFINITY });
    } else if (e.f === 'add-member' && typeof v?.node === 'string') {
      for (const w of out) if (w.node === v.node && w.endNs === Number.POSITIVE_INFINITY && w.startNs <= e.time) w.endNs = e.time;
    }
  }
  return out;
}

export function checkCorruptServing(operations: readonly Operation[], nemesis: readonly NemesisEntry[]): CheckResult {
  const windows = corruptionWindows(nemesis);
  const anomalies: Anomaly[] = [];
  for (const w of windows) {
    const served = operations.filter((op) => op.type === 'ok' && op.node === w.node && op.completeTime !== null && op.completeTime > w.startNs && op.completeTime < w.endNs);
    if (served.length === 0) continue;
    anomalies.push({
      type: 'served-after-corruption',
      message: `${w.node} served ${served.length} operation(s) after its synced files were damaged, before it was re-added from a clean directory`,
      node: w.node,
      ops: served.slice(0, CORRUPT_SERVED_OPS_MAX).map((op) => op.id),
      count: served.length,
    });
  }
  for (const e of nemesis) {
    const v = e.value as { node?: unknown; outcome?: unknown; damage?: unknown } | null;
    if (e.f !== 'corrupt' || v?.outcome !== 'running' || typeof v.node !== 'string') continue;
    anomalies.push({
      type: 'started-on-corruption',
      message: `${v.node} started on damaged synced files instead of refusing (${JSON.stringify(v.damage)})`,
      node: v.node,
      damage: v.damage,
    });
  }
  return {
    checker: 'corrupt-serving',
    valid: anomalies.length === 0,
    anomalies,
    stats: { corruptions: windows.length },
  };
}
