// The client mutants (client-mutants.ts) do the one wrong thing each names, and nothing without
// one: a lost-answer-as-failure client calls a put whose reply was lost failed though it was
// applied; a watch-resume-from-now watch re-registers from now after a lost link. These are
// the bugs jepsen-lite's client-link nemeses must find (docs/jepsen/matrix-2026-12-07.md).
import { describe, expect, it } from 'vitest';
import { KiteError, parseClientMutant, type KiteClient } from '@kite/client';
import type { ResponseHeader } from '@kite/protocol';
import { Watch, type WatchDriver, type WatchSpec } from '../src/watch.js';
import { caught, oneMemberFixture } from './helpers.js';

const fx = oneMemberFixture();
const client = (mutant: 'lost-answer-as-failure' | null): Promise<KiteClient> => fx.client({ mutant });

describe('client mutants', () => {
  it('are off unless named, and an unknown name is a typed error', () => {
    expect(parseClientMutant(undefined)).toBeNull();
    expect(parseClientMutant('')).toBeNull();
    expect(parseClientMutant('lost-answer-as-failure')).toBe('lost-answer-as-failure');
    expect(() => parseClientMutant('retry-everything')).toThrow(KiteError);
  });

  it('lost-answer-as-failure: a put whose reply is lost is applied yet reported as a definite failure (healthy: indeterminate)', async () => {
    const healthy = await client(null);
    fx.cluster.member(0).addFault({ kind: 'dropAfterApply', op: 'put' });
    expect((await caught(healthy.put('k', 'u'))).indeterminate).toBe(true);

    const mutant = await client('lost-answer-as-failure');
    fx.cluster.member(0).addFault({ kind: 'dropAfterApply', op: 'put' });
    const before = fx.cluster.store.applied.get('put') ?? 0;
    const sentBefore = fx.cluster.member(0).received.get('put') ?? 0;
    const err = await caught(mutant.put('k', 'v'));
    expect([err.code, err.indeterminate]).toEqual(['Unavailable', false]);
    expect(fx.cluster.store.applied.get('put')).toBe(before + 1);
    expect(fx.cluster.member(0).received.get('put')).toBe(sentBefore + 1);
  });
});

const header = (revision: number): ResponseHeader => ({ clusterId: 'c', memberId: 'm', revision, raftTerm: 1 });

class RecordingDriver implements WatchDriver {
  readonly starts: number[] = [];
  register(_w: Watch, start: number): void {
    this.starts.push(start);
  }
  unregister(): void {}
  async requestProgress(): Promise<void> {}
}

function spec(resumeFromNow: boolean): WatchSpec {
  return { key: new Uint8Array([1]), startRevision: 5, prevKv: false, noPut: false, noDelete: false, progressNotify: false, bufferEventsMax: 100, ...(resumeFromNow ? { resumeFromNow } : {}) };
}

describe('watch-resume-from-now', () => {
  it('re-registers from now (0) after a lost link where a healthy watch resumes at its cursor', () => {
    for (const [fromNow, expected] of [[false, [5, 5]], [true, [5, 0]]] as const) {
      const d = new RecordingDriver();
      const w = new Watch(spec(fromNow), d);
      w.start();
      w.onRegistered(header(10));
      w.onRegistrationLost();
      expect(d.starts).toEqual(expected);
      expect(w.nextRevision).toBe(fromNow ? 0 : 5);
      w.onRegistered(header(20));
      expect(w.nextRevision).toBe(5); // the cursor itself never moved: the skipped events are simply never asked for
    }
  });
});
