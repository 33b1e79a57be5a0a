// Kite errors as etcd's gRPC status and message: the strings etcd clients match on.
import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, KiteError } from '@kite/protocol';
import { ETCD_MESSAGES as M, etcdStatus, kiteErrorOf } from '../../src/etcd/etcd-errors.js';

const e = (code: ConstructorParameters<typeof KiteError>[0], message = 'x', details = {}): KiteError => new KiteError(code, message, details);

describe('etcdStatus', () => {
  it.each([
    [e('Compacted', 'required revision 3 has been compacted (compact revision 5)'), status.OUT_OF_RANGE, M.compacted],
    [e('FutureRevision'), status.OUT_OF_RANGE, M.futureRevision],
    [e('LeaseNotFound', 'lease 7 not found'), status.NOT_FOUND, M.leaseNotFound],
    [e('DuplicateKey'), status.INVALID_ARGUMENT, M.duplicateKey],
    [e('TooManyOps'), status.INVALID_ARGUMENT, M.tooManyOps],
    [e('RequestTooLarge'), status.INVALID_ARGUMENT, M.requestTooLarge],
    [e('NoSpace'), status.RESOURCE_EXHAUSTED, M.noSpace],
    [e('PermissionDenied'), status.PERMISSION_DENIED, M.permissionDenied],
    [e('Unauthenticated', 'token of user u is no longer valid'), status.UNAUTHENTICATED, M.invalidAuthToken],
    [e('Unauthenticated', 'authentication required for range (auth is enabled)'), status.INVALID_ARGUMENT, M.userEmpty],
    [e('InvalidArgument', 'key is empty'), status.INVALID_ARGUMENT, M.emptyKey],
    [e('InvalidArgument', 'key not found (ignoreValue/ignoreLease need an existing key)'), status.INVALID_ARGUMENT, M.keyNotFound],
    [e('InvalidArgument', 'value is provided although ignoreValue is set'), status.INVALID_ARGUMENT, M.valueProvided],
    [e('InvalidArgument', 'lease is provided although ignoreLease is set'), status.INVALID_ARGUMENT, M.leaseProvided],
    [e('Unavailable', 'no leader for 200 ms', { leader: null }), status.UNAVAILABLE, M.noLeader],
    [e('Unavailable', 'member is stopping'), status.UNAVAILABLE, M.stopped],
    [e('Unavailable', 'too many proposals pending (limit 10)'), status.RESOURCE_EXHAUSTED, M.tooManyRequests],
    [e('Unavailable', 'too many reads pending (limit 10)'), status.RESOURCE_EXHAUSTED, M.tooManyRequests],
    [e('Timeout', 'not applied within 7000 ms', { indeterminate: true }), status.UNAVAILABLE, M.timeout],
    [e('Corrupt'), status.DATA_LOSS, M.corrupt],
    [e('NotLeader'), status.UNAVAILABLE, M.leaderChanged],
  ])('%s → etcd', (err, code, message) => {
    expect(etcdStatus(err)).toEqual({ code, message });
  });

  it('an indeterminate Unavailable is never "no leader" (clientv3 retries a write on that message)', () => {
    const lost = e('Unavailable', 'no leader; this proposal may or may not be applied', { leader: null, indeterminate: true });
    expect(etcdStatus(lost)).toEqual({ code: status.UNAVAILABLE, message: M.timeoutLeaderFail });
  });

  it('reads the op for codes that mean different etcd errors per op', () => {
    expect(etcdStatus(kiteErrorOf({ code: 'DuplicateKey', message: 'lease 5 already exists' }, 'leaseGrant'))).toEqual({ code: status.FAILED_PRECONDITION, message: M.leaseExists });
    expect(etcdStatus(kiteErrorOf({ code: 'DuplicateKey', message: 'dup' }, 'txn'))).toEqual({ code: status.INVALID_ARGUMENT, message: M.duplicateKey });
    expect(etcdStatus(kiteErrorOf({ code: 'Unauthenticated', message: 'authentication failed: invalid user name or password' }, 'authenticate'))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: M.authFailed,
    });
  });

  it('maps every Kite error code, and never leaks an internal error', () => {
    for (const code of ERROR_CODES) expect(() => etcdStatus(e(code))).not.toThrow();
    expect(etcdStatus(new Error('secret stack detail'))).toEqual({ code: status.INTERNAL, message: 'etcdserver: internal error' });
  });
});
