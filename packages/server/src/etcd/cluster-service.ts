// etcd's Cluster service on Kite's member ops. Member ids cross as etcd's uint64 (decimal
// strings) and are Kite's 16 hex digits inside; a member's clientURLs are the gRPC door URLs
// it published (--advertise-grpc, default --grpc-listen: what etcd clients dial when they sync
// endpoints or run `etcdctl --cluster`), not its WebSocket URLs: empty until it started and
// published, as etcd lists a member that has not started yet.
//
// clientURLs are host:port, without their scheme: etcd's Go client, dialing one member
// directly (every Maintenance call: endpoint status, hashkv, defrag, snapshot), sends the
// endpoint as given as the HTTP/2 :authority, and Node's HTTP/2 layer (nghttp2) resets a
// stream whose :authority holds a scheme (RST_STREAM PROTOCOL_ERROR). Without one, etcd
// clients dial plaintext or TLS as their own flags say (etcdctl --cacert...).

import type { Member } from '@kite/protocol';
import { KiteError } from '@kite/protocol';
import type { EtcdCallContext } from './etcd-context.js';
import type { EtcdMessage, ServiceHandlers } from './handlers.js';
import { EtcdError } from './etcd-status-error.js';
import { memberIdArg, memberIdOut, withEtcdErrors, type EtcdErrorRule, type EtcdOps } from './service-call.js';

/** Kite's member-op refusals (op-server.ts) as etcd words them. */
export const CLUSTER_ERROR_RULES: readonly EtcdErrorRule[] = [
  { code: 'InvalidArgument', match: /^member \S+ not found$/, grpcCode: 'NOT_FOUND', message: 'etcdserver: member not found' },
  { code: 'InvalidArgument', match: /^peer URL already used/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: Peer URLs already exists' },
  { code: 'InvalidArgument', match: /is not a learner$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: can only promote a learner member' },
  { code: 'Unavailable', match: /^learner \S+ is not in sync/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: can only promote a learner member which is in sync with leader' },
];

export function clusterService(memberOps: EtcdOps): ServiceHandlers {
  const ops = withEtcdErrors(memberOps, CLUSTER_ERROR_RULES);
  const member = etcdMember;
  const list = async (ctx: EtcdCallContext, serializable: boolean): Promise<EtcdMessage> => {
    const { header, result } = await ops.run(ctx, 'memberList', { serializable });
    return { header, members: result.members.map(member) };
  };
  return {
    unary: {
      MemberAdd: async (req, ctx) => {
        const peerUrls = stringList(req['peerURLs'], 'peerURLs');
        const { header, result } = await ops.run(ctx, 'memberAdd', { peerUrls, isLearner: req['isLearner'] === true });
        return { header, member: member(result.member), members: result.members.map(member) };
      },
      MemberRemove: async (req, ctx) => {
        const { header, result } = await ops.run(ctx, 'memberRemove', { memberId: requiredMemberId(req['ID']) });
        return { header, members: result.members.map(member) };
      },
      MemberUpdate: async (req, ctx) => {
        const peerUrls = stringList(req['peerURLs'], 'peerURLs');
        const { header, result } = await ops.run(ctx, 'memberUpdate', { memberId: requiredMemberId(req['ID']), peerUrls });
        return { header, members: result.members.map(member) };
      },
      // etcd 3.4 serves MemberList from the member's own view; 3.5 added `linearizable`.
      MemberList: (req, ctx) => list(ctx, req['linearizable'] !== true),
      MemberPromote: async (req, ctx) => {
        const { header, result } = await ops.run(ctx, 'memberPromote', { memberId: requiredMemberId(req['ID']) });
        return { header, members: result.members.map(member) };
      },
    },
  };
}

export function etcdMember(m: Member): EtcdMessage {
  return {
    ID: memberIdOut(m.id),
    name: m.name,
    peerURLs: [...m.peerUrls],
    clientURLs: (m.grpcUrls ?? []).map((u) => u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')),
    isLearner: m.isLearner,
  };
}

function requiredMemberId(value: unknown): string {
  const id = memberIdArg(value);
  if (id === null) throw new EtcdError('NOT_FOUND', 'etcdserver: member not found');
  return id;
}

/** A repeated string field: bounded, so a huge list is refused before it is looked at. */
const URLS_MAX = 16;
function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length > URLS_MAX || value.some((u) => typeof u !== 'string')) {
    throw new KiteError('InvalidArgument', `${field} must be a list of at most ${URLS_MAX} URLs`);
  }
  return value as string[];
}
