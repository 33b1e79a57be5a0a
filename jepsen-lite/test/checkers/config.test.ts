// The config checker on hand-built histories: a clean run with gray, rollback and an
// indeterminate release is valid; each broken history (a mixed snapshot, another release's
// content under a number, a release number no admin op created, an instance that never reached
// the final release, a release record changed after the fact) is caught by its own check.
import { describe, expect, it } from 'vitest';
import { pairOperations } from '../../src/history/operations.js';
import type { Json } from '../../src/history/types.js';
import { checkConfig } from '../../src/workloads/config-check.js';
import { HistoryBuilder } from '../support/builder.js';

const check = (h: HistoryBuilder) => {
  const { operations, observations } = pairOperations(h.entries);
  return checkConfig(operations, observations);
};
const types = (h: HistoryBuilder): string[] => check(h).anomalies.map((a) => a.type);

const apply = (h: HistoryBuilder, instance: string, release: number, hash: string): HistoryBuilder =>
  h.observe(instance, 'config-apply', { release, hash, revision: 0, stale: false });

const finalRead = (h: HistoryBuilder, head: { release: number; gray: number | null }, releases: [number, string, string][], instances: string[]): HistoryBuilder =>
  h.observe('final', 'final-read', {
    head, releases: releases.map(([number, message, hash]) => ({ number, message, hash })), instances,
  } as unknown as Json, 'config');

/** Releases 1 (h1), gray 2 (h2) promoted, rollback 3 to 1 (h1), an indeterminate release that took effect as 4 (h4), final release 5 (h5). */
function cleanRun(): HistoryBuilder {
  const h = new HistoryBuilder().op(0, 'release', undefined, { message: 'op-0' }, { release: 1, hash: 'h1' });
  apply(h, 'i0', 1, 'h1');
  apply(h, 'i1', 1, 'h1');
  h.op(0, 'gray-start', undefined, { message: 'op-1' }, { release: 2, hash: 'h2' });
  apply(h, 'i0', 2, 'h2');
  h.op(0, 'gray-promote', undefined, { message: 'op-2' }, { release: 2 });
  apply(h, 'i1', 2, 'h2');
  h.op(0, 'rollback', undefined, { message: 'op-3', to: 1 }, { release: 3, hash: 'h1' });
  apply(h, 'i0', 3, 'h1');
  apply(h, 'i1', 3, 'h1');
  h.invoke(0, 'release', undefined, { message: 'op-4' }).info(0);
  apply(h, 'i1', 4, 'h4');
  h.invoke(1, 'release', undefined, { message: 'op-5' }).fail(1);
  h.op(1, 'release', undefined, { message: 'op-6' }, { release: 5, hash: 'h5' });
  apply(h, 'i0', 5, 'h5');
  apply(h, 'i1', 5, 'h5');
  return h;
}

const FINAL_RECORDS: [number, string, string][] = [[1, 'op-0', 'h1'], [2, 'op-1', 'h2'], [3, 'op-3', 'h1'], [4, 'op-4', 'h4'], [5, 'op-6', 'h5']];

describe('config checker', () => {
  it('accepts whole releases, gray, rollback, an indeterminate release that took effect, and convergence', () => {
    const h = finalRead(cleanRun(), { release: 5, gray: null }, FINAL_RECORDS, ['i0', 'i1']);
    const r = check(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ releases: 5, applies: 9, instances: 2, converged: 2 });
  });

  it('flags an applied content that is no release’s content (keys of two releases)', () => {
    const h = cleanRun();
    apply(h, 'i0', 5, 'h1+h5-mixed');
    apply(h, 'i0', 5, 'h5');
    finalRead(h, { release: 5, gray: null }, FINAL_RECORDS, ['i0', 'i1']);
    expect(types(h)).toEqual(['mixed-snapshot']);
    expect(check(h).valid).toBe(false);
  });

  it('flags another release’s content applied under a release number', () => {
    const h = cleanRun();
    apply(h, 'i1', 2, 'h1');
    apply(h, 'i1', 5, 'h5');
    finalRead(h, { release: 5, gray: null }, FINAL_RECORDS, ['i0', 'i1']);
    expect(types(h)).toEqual(['mislabelled-snapshot']);
  });

  it('flags a release number no admin op created: none at all, or one whose op failed', () => {
    const made = cleanRun();
    apply(made, 'i0', 9, 'h5');
    apply(made, 'i0', 5, 'h5');
    finalRead(made, { release: 5, gray: null }, FINAL_RECORDS, ['i0', 'i1']);
    expect(types(made)).toEqual(['unknown-release']);
    // Release 6 exists at the end, but its record names op-5, which failed: no op created it.
    const failed = cleanRun();
    apply(failed, 'i1', 6, 'h6');
    apply(failed, 'i1', 5, 'h5');
    finalRead(failed, { release: 5, gray: null }, [...FINAL_RECORDS, [6, 'op-5', 'h6']], ['i0', 'i1']);
    expect(types(failed)).toEqual(['mixed-snapshot', 'unknown-release']);
  });

  it('flags an instance that ends short of the final release, or never applied one', () => {
    const h = cleanRun();
    apply(h, 'i2', 3, 'h1');
    finalRead(h, { release: 5, gray: null }, FINAL_RECORDS, ['i0', 'i1', 'i2', 'i3']);
    const r = check(h);
    expect(r.anomalies.map((a) => [a.type, a['instance']])).toEqual([['not-converged', 'i2'], ['not-converged', 'i3']]);
    expect(r.valid).toBe(false);
  });

  it('flags a release record that changed or vanished after its op was acknowledged', () => {
    const h = finalRead(cleanRun(), { release: 5, gray: null }, [[1, 'op-0', 'h1'], [2, 'op-1', 'hX'], [4, 'op-4', 'h4'], [5, 'op-6', 'h5']], ['i0', 'i1']);
    expect(check(h).anomalies.map((a) => [a.type, a['release']])).toEqual([['changed-release', 2], ['changed-release', 3]]);
  });

  it("is 'unknown' without a final read or when the run ended in gray", () => {
    expect(check(cleanRun()).valid).toBe('unknown');
    expect(check(finalRead(cleanRun(), { release: 5, gray: 6 }, FINAL_RECORDS, ['i0', 'i1'])).valid).toBe('unknown');
  });
});
