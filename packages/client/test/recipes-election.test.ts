// Election recipe logic against the in-memory store model.
import { describe, expect, it } from 'vitest';
import { election } from '../src/recipes/election.js';
import { isRecipeError } from '../src/recipes/errors.js';
import { KvModel } from './recipes-kv-model.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('election recipe', () => {
  it('elects the first candidate; the next leads after it resigns', async () => {
    const kv = new KvModel();
    const a = election(kv, 'svc');
    const b = election(kv, 'svc');
    await a.campaign('a:1');
    let bLeads = false;
    const pb = b.campaign('b:1').then(() => (bLeads = true));
    await settle();
    expect(bLeads).toBe(false);
    expect((await a.leader())?.valueText).toBe('a:1');
    await a.resign();
    await pb;
    expect((await b.leader())?.valueText).toBe('b:1');
    await b.resign();
    expect(await b.leader()).toBeNull();
  });

  it('proclaim changes the value while leading and fails after the session is lost', async () => {
    const kv = new KvModel();
    const a = election(kv, 'p');
    await a.campaign('v1');
    await a.proclaim('v2');
    expect((await a.leader())?.valueText).toBe('v2');
    const key = a.key!;
    const leaseId = (await kv.get(key)).kvs[0]!.lease;
    kv.leaseById(leaseId)!.expire();
    await expect(a.proclaim('v3')).rejects.toSatisfy((e) => isRecipeError(e, 'NotElectionLeader'));
  });

  it('observe yields every leader change, then null when nobody is left', async () => {
    const kv = new KvModel();
    const a = election(kv, 'o');
    const b = election(kv, 'o');
    const seen: (string | null)[] = [];
    const ctl = new AbortController();
    const watcher = (async () => {
      for await (const l of a.observe({ signal: ctl.signal })) seen.push(l?.valueText ?? null);
    })();
    await settle();
    await a.campaign('a');
    await settle();
    const pb = b.campaign('b');
    await settle();
    await a.proclaim('a2');
    await settle();
    await a.resign();
    await pb;
    await settle();
    await b.resign();
    await settle();
    ctl.abort();
    await watcher;
    expect(seen).toEqual([null, 'a', 'a2', 'b', null]);
  });

  it('a canceled campaign leaves the line', async () => {
    const kv = new KvModel();
    const a = election(kv, 'c');
    await a.campaign('a');
    const b = election(kv, 'c');
    const ctl = new AbortController();
    const pb = b.campaign('b', { signal: ctl.signal });
    await settle();
    ctl.abort();
    await expect(pb).rejects.toSatisfy((e) => isRecipeError(e, 'Canceled'));
    await a.resign();
    expect(await a.leader()).toBeNull();
  });
});
