// The etcd door URL a member publishes (with its name and client URL) so the member list
// gives etcd clients every member's gRPC endpoint (etcd's clientURLs): `etcdctl --cluster`,
// and clients that sync their endpoints from MemberList, dial these.
//
// A wildcard listen host (0.0.0.0, ::) is no address to dial: the advertised client URL's
// host stands in for it, as the client port's own advertise URL does.

import type { ServerConfig } from '../config.js';

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '[::]', '::']);

export function advertisedGrpcUrls(config: Pick<ServerConfig, 'grpcListenUrl' | 'advertiseClientUrl'>): string[] {
  const listen = config.grpcListenUrl;
  if (listen === null) return [];
  const url = new URL(listen.href);
  if (WILDCARD_HOSTS.has(url.hostname) && config.advertiseClientUrl !== '') url.hostname = new URL(config.advertiseClientUrl).hostname;
  return [`${url.protocol}//${url.host}`];
}
