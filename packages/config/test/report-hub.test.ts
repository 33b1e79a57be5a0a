// Instances sharing one client share one lease and coalesce their instance-record writes:
// counts of lease grants and report txns are asserted (the per-instance model would grant one
// lease and write one txn per instance per release). Records stay per instance.
import { describe, expect, it } from 'vitest';
import type { TxnArgs } from '@kite/protocol';
import { AppKeys, ConfigAdmin, type ConfigInstance } from '../src/index.js';
import { REPORT_BATCH_PUTS_MAX } from '../src/instance-reporter.js';
import { config } from '../src/sdk.js';
import { KvModel, SwitchableClient, until } from './helpers.js';

const APP = { namespace: 'prod', app: 'shop' };
const text = (t: string) => ({ type: 'text' as const, text: t });
const decoder = new TextDecoder();

/** A client over the model that counts report txns (puts of instance records) and can hold them. */
class ReportCountingClient extends SwitchableClient {
  reportTxns = 0;
  reportPutsMax = 0;
  inFlight = 0;
  inFlightMax = 0;
  gate: Promise<void> | null = null;

  constructor(model: KvModel) {
    super(model);
    const txn = this.txn;
    this.txn = async (args: TxnArgs) => {
      const puts = args.success.filter((op) => op.type === 'put' && decoder.decode(op.key).includes('/instances/')).length;
      if (puts === 0) return txn(args);
      this.reportTxns++;
      this.reportPutsMax = Math.max(this.reportPutsMax, puts);
      this.inFlightMax = Math.max(this.inFlightMax, ++this.inFlight);
      try {
        if (this.gate !== null) await this.gate;
        return await txn(args);
      } finally {
        this.inFlight--;
      }
    };
  }
}

async function startMany(client: SwitchableClient, count: number, app = APP): Promise<ConfigInstance[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => config(client, { ...app, instanceId: `inst-${i}`, onWarning: () => undefined })));
}

describe('instance reports per client', () => {
  it('N instances on one client hold one lease and write their records in ceil(N / batch) txns per release', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const client = new ReportCountingClient(kv);
    const n = 300;
    const batches = Math.ceil(n / REPORT_BATCH_PUTS_MAX);
    const insts = await startMany(client, n);
    const records = async () => (await admin.instances()).instances;
    await expect.poll(async () => (await records()).filter((v) => v.status === 'current').length).toBe(n);
    expect(kv.calls.get('leaseGrant')).toBe(1);
    const { key, rangeEnd } = new AppKeys(APP).instances;
    expect(new Set((await kv.get(key, { rangeEnd })).kvs.map((r) => r.lease)).size).toBe(1);
    expect(client.reportTxns).toBe(batches);
    expect(client.reportPutsMax).toBeLessThanOrEqual(REPORT_BATCH_PUTS_MAX);

    await admin.set('k', text('2'));
    await admin.publish({ message: 'r2', author: 't' });
    await until('all on release 2', () => insts.every((i) => i.release === 2));
    await expect.poll(async () => (await records()).filter((v) => v.applied?.release === 2).length).toBe(n);
    expect(client.reportTxns).toBe(2 * batches);
    expect(client.inFlightMax).toBe(1);

    // Closing one instance deletes its record only; the last one revokes the shared lease.
    await insts[0]!.close();
    expect((await records()).map((v) => v.id)).not.toContain('inst-0');
    expect(await records()).toHaveLength(n - 1);
    expect(kv.leaseById(0x1000)?.alive).toBe(true);
    for (const i of insts.slice(1)) await i.close();
    expect(kv.leaseById(0x1000)?.alive).toBe(false);
    expect(await records()).toEqual([]);
  });

  it('reports made while a write is in flight wait for it and merge: one txn at a time, newest record only', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const client = new ReportCountingClient(kv);
    const insts = await startMany(client, 20);
    await until('registered', () => client.reportTxns === 1 && client.inFlight === 0);
    let open = (): void => undefined;
    client.gate = new Promise<void>((resolve) => (open = resolve));
    for (const r of [2, 3, 4, 5]) {
      await admin.set('k', text(String(r)));
      await admin.publish({ message: `r${r}`, author: 't' });
      await until(`all on release ${r}`, () => insts.every((i) => i.release === r));
    }
    // Release 2's reports are held; releases 3..5 were applied meanwhile and wait behind them.
    expect([client.reportTxns, client.inFlight]).toEqual([2, 1]);
    client.gate = null;
    open();
    await expect.poll(async () => (await admin.instances()).instances.filter((v) => v.applied?.release === 5).length).toBe(20);
    // Registration, the held write, then one merged write of release 5: never one per release.
    expect(client.reportTxns).toBe(3);
    expect(client.inFlightMax).toBe(1);
    for (const i of insts) await i.close();
  });

  it('a lost shared lease is re-granted once and every instance record is written again under it', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const client = new SwitchableClient(kv);
    const insts = await startMany(client, 5);
    const ids = async () => (await admin.instances()).instances.map((v) => v.id);
    await expect.poll(ids).toHaveLength(5);
    kv.leaseById(0x1000)!.expire();
    await expect.poll(ids).toEqual(['inst-0', 'inst-1', 'inst-2', 'inst-3', 'inst-4']);
    expect(kv.calls.get('leaseGrant')).toBe(2);
    for (const i of insts) await i.close();
  });

  it('instances of two apps with the same id on one client keep separate records', async () => {
    const kv = new KvModel();
    const other = { namespace: 'prod', app: 'cart' };
    for (const app of [APP, other]) {
      const admin = new ConfigAdmin(kv, app);
      await admin.set('k', text('1'));
      await admin.publish({ message: 'r1', author: 't' });
    }
    const client = new SwitchableClient(kv);
    const [a] = await startMany(client, 1, APP);
    const [b] = await startMany(client, 1, other);
    for (const app of [APP, other]) await expect.poll(async () => (await new ConfigAdmin(kv, app).instances()).instances.map((v) => v.id)).toEqual(['inst-0']);
    await a!.close();
    expect((await new ConfigAdmin(kv, other).instances()).instances.map((v) => v.id)).toEqual(['inst-0']);
    await b!.close();
  });
});
