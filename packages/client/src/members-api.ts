// `client.members`: list, add, remove, update, promote (etcd's Cluster API).

import type { MemberAddResult, MemberId, MemberListResult, ResponseHeader } from '@kite/protocol';
import type { CallOptions } from './invoker.js';
import { strip, type Requester } from './requester.js';

export class MembersApi {
  constructor(private readonly client: Requester) {}

  async list(opts: CallOptions & { serializable?: boolean } = {}): Promise<MemberListResult & { header: ResponseHeader }> {
    return strip(await this.client.request('memberList', opts.serializable === true ? { serializable: true } : {}, opts));
  }

  async add(peerUrls: readonly string[], opts: CallOptions & { learner?: boolean } = {}): Promise<MemberAddResult & { header: ResponseHeader }> {
    return strip(await this.client.request('memberAdd', opts.learner === true ? { peerUrls, isLearner: true } : { peerUrls }, opts));
  }

  async remove(id: MemberId, opts: CallOptions = {}): Promise<MemberListResult & { header: ResponseHeader }> {
    return strip(await this.client.request('memberRemove', { memberId: id }, opts));
  }

  /** Replaces the member's peer URLs (etcd's MemberUpdate); it must then listen on them. */
  async update(id: MemberId, peerUrls: readonly string[], opts: CallOptions = {}): Promise<MemberListResult & { header: ResponseHeader }> {
    return strip(await this.client.request('memberUpdate', { memberId: id, peerUrls }, opts));
  }

  async promote(id: MemberId, opts: CallOptions = {}): Promise<MemberListResult & { header: ResponseHeader }> {
    return strip(await this.client.request('memberPromote', { memberId: id }, opts));
  }
}

