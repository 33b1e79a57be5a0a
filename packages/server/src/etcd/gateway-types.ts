// The etcd proto message types the JSON gateway converts by: the same .proto files the gRPC
// door loads (etcd-proto.ts), parsed once with protobufjs keeping the proto's field names, so
// both doors agree on every field. A method the route table names but the proto lacks is a
// programming error (assertion), found by the gateway's route test.

import path from 'node:path';
import protobuf from 'protobufjs';
import { ETCD_PROTO_DIR } from './etcd-proto.js';

export interface MethodTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
}

let root: protobuf.Root | null = null;
const methods = new Map<string, MethodTypes>();

function etcdRoot(): protobuf.Root {
  if (root !== null) return root;
  const r = new protobuf.Root();
  // Imports are named relative to the proto directory (as @grpc/proto-loader's includeDirs does).
  r.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(ETCD_PROTO_DIR, target));
  r.loadSync('rpc.proto', { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

/** Request and response types of `etcdserverpb.<service>.<method>`. */
export function methodTypes(service: string, method: string): MethodTypes {
  const key = `${service}.${method}`;
  const known = methods.get(key);
  if (known !== undefined) return known;
  const svc = etcdRoot().lookupService(`etcdserverpb.${service}`);
  const m = svc.methods[method];
  if (m === undefined) throw new Error(`assertion: rpc.proto has no method ${key}`);
  m.resolve();
  if (m.resolvedRequestType === null || m.resolvedResponseType === null) throw new Error(`assertion: ${key} has unresolved types`);
  const types = { request: m.resolvedRequestType, response: m.resolvedResponseType };
  methods.set(key, types);
  return types;
}
