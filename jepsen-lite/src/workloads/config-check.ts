// Config-center safety and convergence, from the config workload's history:
//   admin ops      release / gray-start / rollback create a release: invoke value {message},
//                  ok value {release, hash}; gray-promote / gray-abort create none. Every op has
//                  a unique message, which the release record it creates carries.
//   config-apply   an SDK instance applied a snapshot: {release, hash} (hash of its content).
//   final-read     (process 'final', key 'config') the app at the end: {head: {release, gray},
//                  releases: [{number, message, hash}], instances: [id]} read from the store
//                  after the heal (instances: every SDK instance the workload ran).
// A release is CREATED BY AN ADMIN OP when an ok op returned its number, or when its final
// record's message names a release-creating op that did not fail (an indeterminate op may have
// taken effect). Anomalies:
//   mixed-snapshot       an applied content hash equal to no release's content (keys of several
//                        releases, or made up);
//   mislabelled-snapshot an applied content that is some release's, but not that of the release
//                        number it was applied as;
//   unknown-release      an applied release number that no admin op created;
//   changed-release      a release's final record differs from what its ok op returned (or is gone);
//   not-converged        an instance whose last applied snapshot is not the final release.
// Valid is 'unknown' without the final read (convergence cannot be judged, nor a release number
// that only an indeterminate op can have created), or when the app ended in gray (an
// instance's final release then depends on the rule).

import type { Anomaly, CheckResult } from '../checkers/index.js';
import { capAnomalies } from '../checkers/result.js';
import type { Json, ObservationEntry, Operation } from '../history/index.js';

export const CONFIG_ANOMALIES_SHOWN_MAX = 20;
export const CREATING_FS: readonly string[] = ['release', 'gray-start', 'rollback'];

interface Made {
  readonly hash: string;
  /** The admin op that created it (its id), or null when only the final record names it. */
  readonly op: number | null;
}

interface FinalApp {
  readonly headRelease: number;
  readonly gray: boolean;
  /** Every instance the workload ran (one that never applied anything has not converged). */
  readonly instances: readonly string[];
  readonly records: readonly { readonly number: number; readonly message: string; readonly hash: string }[];
}

const obj = (v: Json): Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Json>) : {};

function finalApp(observations: readonly ObservationEntry[]): FinalApp | null {
  const o = observations.find((x) => x.f === 'final-read' && x.key === 'config');
  if (o === undefined) return null;
  const v = obj(o.value);
  const head = obj(v['head'] ?? null);
  const records = Array.isArray(v['releases']) ? (v['releases'] as Json[]).map(obj) : [];
  return {
    headRelease: Number(head['release']),
    gray: head['gray'] !== null && head['gray'] !== undefined,
    instances: Array.isArray(v['instances']) ? (v['instances'] as Json[]).map(String) : [],
    records: records.map((r) => ({ number: Number(r['number']), message: String(r['message']), hash: String(r['hash']) })),
  };
}

export function checkConfig(ops: readonly Operation[], observations: readonly ObservationEntry[]): CheckResult {
  const found: Anomaly[] = [];
  const flag = (a: Anomaly): void => void found.push(a);

  // Releases the admin ops created, by number.
  const made = new Map<number, Made>();
  const byMessage = new Map<string, Operation>();
  for (const op of ops) {
    if (!CREATING_FS.includes(op.f)) continue;
    byMessage.set(String(obj(op.invokeValue)['message']), op);
    if (op.type !== 'ok') continue;
    const v = obj(op.value);
    made.set(Number(v['release']), { hash: String(v['hash']), op: op.id });
  }
  const fin = finalApp(observations);
  for (const r of fin?.records ?? []) {
    const op = byMessage.get(r.message);
    const known = made.get(r.number);
    if (known !== undefined) {
      if (known.hash !== r.hash) flag({ type: 'changed-release', message: `release ${r.number} holds content ${r.hash} at the end, but op #${known.op} created it with ${known.hash}`, release: r.number, op: known.op });
    } else if (op !== undefined && op.type !== 'fail') {
      made.set(r.number, { hash: r.hash, op: null });
    }
  }
  if (fin !== null) {
    const present = new Set(fin.records.map((r) => r.number));
    for (const [n, m] of made) {
      if (!present.has(n)) flag({ type: 'changed-release', message: `release ${n}, created by op #${m.op}, is gone at the end`, release: n, op: m.op });
    }
  }
  const hashes = new Set([...made.values()].map((m) => m.hash));

  // Every applied snapshot.
  const indeterminate = ops.filter((op) => CREATING_FS.includes(op.f) && op.type === 'info').length;
  let unattributed = 0;
  const last = new Map<string, { release: number; hash: string; index: number }>();
  let applies = 0;
  for (const o of observations) {
    if (o.f !== 'config-apply') continue;
    applies++;
    const v = obj(o.value);
    const release = Number(v['release']);
    const hash = String(v['hash']);
    const instance = String(o.process);
    last.set(instance, { release, hash, index: o.index });
    const m = made.get(release);
    // Without the final records, a number from an indeterminate op cannot be attributed either way.
    if (m === undefined && fin === null && indeterminate > 0) {
      unattributed++;
      continue;
    }
    if (!hashes.has(hash)) {
      flag({ type: 'mixed-snapshot', message: `${instance} applied release ${release} with content ${hash}, which is no release's content`, instance, release, index: o.index });
    } else if (m !== undefined && m.hash !== hash) {
      flag({ type: 'mislabelled-snapshot', message: `${instance} applied release ${release} with another release's content (${hash}, not ${m.hash})`, instance, release, index: o.index });
    }
    if (m === undefined) {
      flag({ type: 'unknown-release', message: `${instance} applied release ${release}, which no admin op created`, instance, release, index: o.index });
    }
  }

  // Convergence to the final release.
  let converged = 0;
  if (fin !== null && !fin.gray) {
    const want = made.get(fin.headRelease);
    for (const [instance, l] of last) {
      if (want !== undefined && l.release === fin.headRelease && l.hash === want.hash) {
        converged++;
        continue;
      }
      flag({ type: 'not-converged', message: `${instance} ends on release ${l.release}, not the final release ${fin.headRelease}`, instance, release: l.release, finalRelease: fin.headRelease });
    }
    for (const instance of fin.instances) {
      if (!last.has(instance)) flag({ type: 'not-converged', message: `${instance} never applied a release; the final release is ${fin.headRelease}`, instance, release: null, finalRelease: fin.headRelease });
    }
  }
  const instances = new Set(observations.filter((o) => o.f === 'config-apply').map((o) => String(o.process))).size;
  const valid = found.length > 0 ? false : fin === null || fin.gray ? 'unknown' : true;
  return {
    checker: 'config',
    valid,
    anomalies: capAnomalies(found, CONFIG_ANOMALIES_SHOWN_MAX),
    stats: { releases: made.size, applies, instances, converged, unattributed, anomalies: found.length },
  };
}
