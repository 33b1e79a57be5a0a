// `client.alarms`: list and disarm the cluster's alarms (etcd's Maintenance.Alarm). Alarms are
// replicated, so any member answers the same list; disarm goes to the leader like any write.

import type { AlarmResult, AlarmType, MemberId, ResponseHeader } from '@kite/protocol';
import type { CallOptions } from './invoker.js';
import { strip, type Requester } from './requester.js';

/** Which alarms to disarm: both absent = every armed alarm (`etcdctl alarm disarm`). */
export interface DisarmSelector {
  readonly memberId?: MemberId;
  readonly alarm?: AlarmType;
}

export class AlarmsApi {
  constructor(private readonly client: Requester) {}

  /** Every armed alarm, with the member that raised it. */
  async list(opts: CallOptions = {}): Promise<AlarmResult & { header: ResponseHeader }> {
    return strip(await this.client.request('alarm', { action: 'list' }, opts));
  }

  /** Clears the selected alarms; resolves with those it cleared. A condition that still holds raises its alarm again. */
  async disarm(select: DisarmSelector = {}, opts: CallOptions = {}): Promise<AlarmResult & { header: ResponseHeader }> {
    const args = {
      action: 'disarm' as const,
      ...(select.memberId !== undefined ? { memberId: select.memberId } : {}),
      ...(select.alarm !== undefined ? { alarm: select.alarm } : {}),
    };
    return strip(await this.client.request('alarm', args, opts));
  }
}
