// `client.alarms` maps its calls onto the `alarm` op: list, disarm everything (etcdctl's
// default), or disarm one member's / one type's alarm, without undefined fields on the wire.
import { describe, expect, it } from 'vitest';
import type { OkReply, OpArgs, OpName, ResponseHeader } from '@kite/protocol';
import { AlarmsApi } from '../src/alarms-api.js';
import type { Requester } from '../src/requester.js';

const header: ResponseHeader = { clusterId: 'c', memberId: 'm1', revision: 1, raftTerm: 1 };

/** Records each request and answers with the alarms it was given (as a member would). */
class RecordingRequester implements Requester {
  readonly isClosed = false;
  readonly sent: { op: OpName; args: unknown }[] = [];
  constructor(private readonly armed: readonly { memberId: string; alarm: 'NOSPACE' }[]) {}

  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<OkReply<O>> {
    this.sent.push({ op, args });
    return { id: this.sent.length, ok: true, header, alarms: this.armed } as unknown as OkReply<O>;
  }
}

describe('client.alarms', () => {
  it('lists through the alarm op and returns the alarms without the envelope', async () => {
    const r = new RecordingRequester([{ memberId: 'a1', alarm: 'NOSPACE' }]);
    const res = await new AlarmsApi(r).list();
    expect(r.sent).toEqual([{ op: 'alarm', args: { action: 'list' } }]);
    expect(res.alarms).toEqual([{ memberId: 'a1', alarm: 'NOSPACE' }]);
    expect('id' in res || 'ok' in res).toBe(false);
  });

  it('disarms all by default, or the selected member and type', async () => {
    const r = new RecordingRequester([]);
    const api = new AlarmsApi(r);
    await api.disarm();
    await api.disarm({ memberId: 'a1' });
    await api.disarm({ memberId: 'a1', alarm: 'NOSPACE' });
    expect(r.sent.map((s) => s.args)).toEqual([
      { action: 'disarm' },
      { action: 'disarm', memberId: 'a1' },
      { action: 'disarm', memberId: 'a1', alarm: 'NOSPACE' },
    ]);
    for (const s of r.sent) expect(Object.values(s.args as object).includes(undefined)).toBe(false);
  });
});
