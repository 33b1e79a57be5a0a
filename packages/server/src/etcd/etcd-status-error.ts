// An answer etcd gives with a status and message Kite has no error code for (e.g. "etcdserver:
// user name not found" with FAILED_PRECONDITION, "etcdserver: member not found" with
// NOT_FOUND). The etcd services throw it where etcd's words differ from Kite's; the door's
// error mapping (etcd-errors.ts) sends it as it is, on gRPC and on the JSON gateway alike.

import { status } from '@grpc/grpc-js';

export type EtcdStatusName = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'UNIMPLEMENTED' | 'OUT_OF_RANGE';

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly grpcCode: EtcdStatusName,
    message: string,
  ) {
    super(message);
  }

  get status(): status {
    return status[this.grpcCode];
  }
}
