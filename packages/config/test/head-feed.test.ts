// Instances of one app sharing a client follow its head through ONE watch: counts of watches
// and reads are asserted (one watch and one head re-read per client, not one per instance),
// including the recovery from a compacted history; the last instance to close ends the watch.
import { describe, expect, it } from 'vitest';
import { KiteError } from '@kite/protocol';
import { ConfigAdmin, type ConfigInstance } from '../src/index.js';
import { config } from '../src/sdk.js';
import { KvModel, SwitchableClient, until } from './helpers.js';

const APP = { namespace: 'prod', app: 'shop' };
const text = (t: string) => ({ type: 'text' as const, text: t });

describe('head feed per client', () => {
  it('N instances on one client hold one head watch; a new release costs one record read; a compacted watch one re-read', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    // The instances' client counts their reads (the admin's own reads are not theirs).
    const client = new SwitchableClient(kv);
    let instanceGets = 0;
    const get = client.get;
    client.get = async (key, opts) => {
      instanceGets++;
      return get(key, opts);
    };
    const n = 50;
    const insts: ConfigInstance[] = await Promise.all(Array.from({ length: n }, (_, i) => config(client, { ...APP, instanceId: `inst-${i}`, register: false })));
    expect(kv.calls.get('watch')).toBe(1);
    expect(kv.watches.size).toBe(1);

    const gets = (): number => instanceGets;
    await admin.set('k', text('2'));
    const before = gets();
    await admin.publish({ message: 'r2', author: 't' });
    await until('all on release 2', () => insts.every((i) => i.release === 2));
    expect(gets() - before).toBe(1); // release 2's record, read once for all 50

    const beforeCompaction = gets();
    kv.compact(kv.revision);
    kv.failWatches(new KiteError('Compacted', 'compacted', { compactRevision: kv.revision }));
    await until('re-watching', () => kv.watches.size === 1);
    await admin.set('k', text('3'));
    await admin.publish({ message: 'r3', author: 't' });
    await until('all on release 3', () => insts.every((i) => i.release === 3 && i.getString('k') === '3'));
    expect(kv.calls.get('watch')).toBe(2);
    expect(gets() - beforeCompaction).toBe(2); // the head, re-read once after the compaction, and release 3's record

    for (const i of insts) await i.close();
    expect(kv.watches.size).toBe(0);
  });

  it('instances of two apps on one client follow their own heads', async () => {
    const kv = new KvModel();
    const other = { namespace: 'prod', app: 'cart' };
    for (const [app, v] of [[APP, 'shop'], [other, 'cart']] as const) {
      const admin = new ConfigAdmin(kv, app);
      await admin.set('k', text(v));
      await admin.publish({ message: 'r1', author: 't' });
    }
    const a = await config(kv, { ...APP, instanceId: 'x', register: false });
    const b = await config(kv, { ...other, instanceId: 'x', register: false });
    expect(kv.watches.size).toBe(2);
    const admin = new ConfigAdmin(kv, other);
    await admin.set('k', text('cart2'));
    await admin.publish({ message: 'r2', author: 't' });
    await until('cart on release 2', () => b.release === 2);
    expect([a.release, a.getString('k'), b.getString('k')]).toEqual([1, 'shop', 'cart2']);
    await a.close();
    await b.close();
  });
});
