// The JSON gateway's routes: each POST path etcd's grpc-gateway serves under /v3, and the gRPC
// service and method it stands for (the paths are the HTTP annotations of etcd's rpc.proto).
// A route is unary or a stream; for a stream, `requestStreamEnd` says what the end of the
// request body means, as etcd's server treats the end of the client's side of that stream:
// - 'keep-open': Watch keeps sending until the HTTP client goes away;
// - 'after-replies': LeaseKeepAlive answers every request it read, then ends;
// - 'no-requests': Snapshot is server-streaming: the body is its one request.
// Hash and HashKV shared /v3/maintenance/hash in etcd 3.4's proto; later etcd moved HashKV to
// /v3/maintenance/hashkv, which is what the gateway serves.

export type StreamEnd = 'keep-open' | 'after-replies' | 'no-requests';

export interface GatewayRoute {
  /** The proto service name (KV, Watch, Lease, Cluster, Maintenance, Auth). */
  readonly service: string;
  /** The proto method name, as the service's handlers are keyed. */
  readonly method: string;
  /** Absent for a unary method. */
  readonly stream?: StreamEnd;
}

const unary = (service: string, method: string): GatewayRoute => ({ service, method });

export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = new Map<string, GatewayRoute>([
  ['/v3/kv/range', unary('KV', 'Range')],
  ['/v3/kv/put', unary('KV', 'Put')],
  ['/v3/kv/deleterange', unary('KV', 'DeleteRange')],
  ['/v3/kv/txn', unary('KV', 'Txn')],
  ['/v3/kv/compaction', unary('KV', 'Compact')],
  ['/v3/watch', { service: 'Watch', method: 'Watch', stream: 'keep-open' }],
  ['/v3/lease/grant', unary('Lease', 'LeaseGrant')],
  ['/v3/lease/revoke', unary('Lease', 'LeaseRevoke')],
  ['/v3/kv/lease/revoke', unary('Lease', 'LeaseRevoke')],
  ['/v3/lease/keepalive', { service: 'Lease', method: 'LeaseKeepAlive', stream: 'after-replies' }],
  ['/v3/lease/timetolive', unary('Lease', 'LeaseTimeToLive')],
  ['/v3/kv/lease/timetolive', unary('Lease', 'LeaseTimeToLive')],
  ['/v3/lease/leases', unary('Lease', 'LeaseLeases')],
  ['/v3/kv/lease/leases', unary('Lease', 'LeaseLeases')],
  ['/v3/cluster/member/add', unary('Cluster', 'MemberAdd')],
  ['/v3/cluster/member/remove', unary('Cluster', 'MemberRemove')],
  ['/v3/cluster/member/update', unary('Cluster', 'MemberUpdate')],
  ['/v3/cluster/member/list', unary('Cluster', 'MemberList')],
  ['/v3/cluster/member/promote', unary('Cluster', 'MemberPromote')],
  ['/v3/maintenance/alarm', unary('Maintenance', 'Alarm')],
  ['/v3/maintenance/status', unary('Maintenance', 'Status')],
  ['/v3/maintenance/defragment', unary('Maintenance', 'Defragment')],
  ['/v3/maintenance/hash', unary('Maintenance', 'Hash')],
  ['/v3/maintenance/hashkv', unary('Maintenance', 'HashKV')],
  ['/v3/maintenance/snapshot', { service: 'Maintenance', method: 'Snapshot', stream: 'no-requests' }],
  ['/v3/maintenance/transfer-leadership', unary('Maintenance', 'MoveLeader')],
  ['/v3/auth/enable', unary('Auth', 'AuthEnable')],
  ['/v3/auth/disable', unary('Auth', 'AuthDisable')],
  ['/v3/auth/status', unary('Auth', 'AuthStatus')],
  ['/v3/auth/authenticate', unary('Auth', 'Authenticate')],
  ['/v3/auth/user/add', unary('Auth', 'UserAdd')],
  ['/v3/auth/user/get', unary('Auth', 'UserGet')],
  ['/v3/auth/user/list', unary('Auth', 'UserList')],
  ['/v3/auth/user/delete', unary('Auth', 'UserDelete')],
  ['/v3/auth/user/changepw', unary('Auth', 'UserChangePassword')],
  ['/v3/auth/user/grant', unary('Auth', 'UserGrantRole')],
  ['/v3/auth/user/revoke', unary('Auth', 'UserRevokeRole')],
  ['/v3/auth/role/add', unary('Auth', 'RoleAdd')],
  ['/v3/auth/role/get', unary('Auth', 'RoleGet')],
  ['/v3/auth/role/list', unary('Auth', 'RoleList')],
  ['/v3/auth/role/delete', unary('Auth', 'RoleDelete')],
  ['/v3/auth/role/grant', unary('Auth', 'RoleGrantPermission')],
  ['/v3/auth/role/revoke', unary('Auth', 'RoleRevokePermission')],
]);

/** True for a path the gateway owns (answered by it, 404 included). */
export function isGatewayPath(path: string): boolean {
  return path === '/v3' || path.startsWith('/v3/');
}
