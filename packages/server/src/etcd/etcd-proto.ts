// etcd's v3 API as grpc-js service definitions, loaded once at runtime from the .proto files
// in packages/server/proto/etcd (written from etcd's documented API). The loader options are
// part of the door's contract: handlers see snake_case fields (keepCase), int64/uint64 as
// decimal strings (longs: String), bytes as Buffer, enums as their names, every scalar field
// present with its default, and oneofs named by a virtual field (e.g. `request: 'request_put'`).

import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** The proto directory, the same from src/etcd and dist/etcd. */
export const ETCD_PROTO_DIR = fileURLToPath(new URL('../../proto/etcd/', import.meta.url));

export const ETCD_LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

/** The six services, named as in the proto. */
export type EtcdServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';
export const ETCD_SERVICE_NAMES: readonly EtcdServiceName[] = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'];

let loaded: Readonly<Record<EtcdServiceName, ServiceDefinition>> | null = null;

/** Every service's definition (parsed on first use, then cached). */
export function etcdServices(): Readonly<Record<EtcdServiceName, ServiceDefinition>> {
  if (loaded !== null) return loaded;
  const definition = loadSync('rpc.proto', { ...ETCD_LOADER_OPTIONS, includeDirs: [ETCD_PROTO_DIR] });
  const pkg = loadPackageDefinition(definition)['etcdserverpb'] as GrpcObject;
  const out = {} as Record<EtcdServiceName, ServiceDefinition>;
  for (const name of ETCD_SERVICE_NAMES) {
    const ctor = pkg[name] as { service?: ServiceDefinition } | undefined;
    if (ctor?.service === undefined) throw new Error(`assertion: rpc.proto has no service ${name}`);
    out[name] = ctor.service;
  }
  loaded = out;
  return out;
}

/** A client constructor per service (tests and tools), from the same definitions. */
export function etcdClientPackage(): GrpcObject {
  const definition = loadSync('rpc.proto', { ...ETCD_LOADER_OPTIONS, includeDirs: [ETCD_PROTO_DIR] });
  return loadPackageDefinition(definition)['etcdserverpb'] as GrpcObject;
}
