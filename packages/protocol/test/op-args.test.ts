// The op schema: every op's check accepts a valid example (also after the frame codec), and
// rejects each bad field with the code and message the wire promises. The same checks run in
// the server (validateRequest), the store at apply time (validateArgs) and the client.
import { describe, expect, it } from 'vitest';
import {
  KEY_BYTES_MAX, KiteError, LEASE_TTL_SECONDS_MAX, OP_NAMES, REQUEST_BYTES_MAX, TXN_DEPTH_MAX, TXN_OPS_MAX,
  decodeFrame, encodeFrame, txnOpCount, utf8Bytes, validateArgs, validateRequest,
  type OpArgs, type OpName, type TxnArgs, type TxnRequestOp,
} from '@kite/protocol';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (k: string, v = 'v'): TxnRequestOp => ({ type: 'put', key: b(k), value: b(v) });

/** One valid example per op; the mapped type fails to compile when an op has none. */
const VALID: { readonly [O in OpName]: OpArgs<O> } = {
  range: {
    key: b('a'), rangeEnd: b('b'), limit: 10, revision: 3, sortOrder: 'descend', sortTarget: 'modRevision', serializable: true,
    keysOnly: false, countOnly: false, minModRevision: 1, maxModRevision: 9, minCreateRevision: 1, maxCreateRevision: 9,
  },
  put: { key: b('k'), value: b('v'), lease: 7, prevKv: true, ignoreValue: false, ignoreLease: false },
  deleteRange: { key: b('a'), rangeEnd: new Uint8Array([0]), prevKv: true },
  txn: {
    compare: [{ key: b('k'), target: 'value', result: 'equal', value: b('v') }, { key: b('k'), target: 'version', result: 'greater', value: -1 }],
    success: [put('k'), { type: 'range', key: b('a') }, { type: 'deleteRange', key: b('z') }, { type: 'txn', compare: [], success: [put('n')], failure: [put('n')] }],
    failure: [],
  },
  compact: { revision: 5, physical: true },
  leaseGrant: { ttl: 10, leaseId: 0 },
  leaseRevoke: { leaseId: 1 },
  leaseKeepAlive: { leaseId: 1 },
  leaseTimeToLive: { leaseId: 1, keys: true },
  leaseLeases: {},
  watchCreate: { watchId: 0, key: b('a'), rangeEnd: b('b'), startRevision: 0, prevKv: true, noPut: false, noDelete: false, progressNotify: true },
  watchCancel: { watchId: 3 },
  watchProgress: {},
  memberList: { serializable: true },
  memberAdd: { peerUrls: ['http://127.0.0.1:2380', 'https://host:1/'], isLearner: true },
  memberRemove: { memberId: 'ab12' },
  memberUpdate: { memberId: 'ab12', peerUrls: ['http://127.0.0.1:2480'] },
  memberPromote: { memberId: 'ab12' },
  status: {},
  moveLeader: { targetId: 'ab12' },
  hash: { revision: 0 },
  defrag: {},
  snapshot: { sessionId: 1 },
  alarm: { action: 'disarm', memberId: 'ab12', alarm: 'NOSPACE' },
  authenticate: { name: 'root', password: 'pw' },
  authEnable: {},
  authDisable: {},
  authStatus: {},
  userAdd: { name: 'u', noPassword: true },
  userDelete: { name: 'u' },
  userGet: { name: 'u' },
  userList: {},
  userChangePassword: { name: 'u', password: 'pw' },
  userGrantRole: { name: 'u', role: 'r' },
  userRevokeRole: { name: 'u', role: 'r' },
  roleAdd: { name: 'r' },
  roleDelete: { name: 'r' },
  roleGet: { name: 'r' },
  roleList: {},
  roleGrantPermission: { name: 'r', permission: { type: 'readwrite', key: b('a'), rangeEnd: b('b') } },
  roleRevokePermission: { name: 'r', key: b('a') },
  audit: { fromSeq: 1, limit: 10, prefix: b('a'), key: b('a'), user: 'u', sinceMs: 0, serializable: true },
  ping: {},
};

function failure(op: OpName, args: unknown): { code: string; message: string; details: unknown } | 'ok' {
  try {
    validateArgs(op, args);
    return 'ok';
  } catch (err) {
    if (!(err instanceof KiteError)) throw err;
    const { limit, limitBytes, actualBytes } = err.details;
    const details = Object.fromEntries(Object.entries({ limit, limitBytes, actualBytes }).filter(([, v]) => v !== undefined));
    return { code: err.code, message: err.message, details };
  }
}

/** [op, the valid example with these fields replaced, code, message]. */
const BAD: readonly [OpName, Record<string, unknown>, string, string][] = [
  ['range', { key: 'a' }, 'InvalidArgument', 'key must be bytes'],
  ['range', { key: b('') }, 'InvalidArgument', 'key is empty'],
  ['range', { key: new Uint8Array(KEY_BYTES_MAX + 1) }, 'RequestTooLarge', `key is ${KEY_BYTES_MAX + 1} bytes, over the limit of ${KEY_BYTES_MAX} bytes`],
  ['range', { rangeEnd: 'b' }, 'InvalidArgument', 'rangeEnd must be bytes'],
  ['range', { key: b('b'), rangeEnd: b('a') }, 'InvalidArgument', 'rangeEnd sorts before key (an empty range)'],
  ['range', { limit: -1 }, 'InvalidArgument', 'limit must be a non-negative integer, got -1'],
  ['range', { revision: 1.5 }, 'InvalidArgument', 'revision must be a non-negative integer, got 1.5'],
  ['range', { sortOrder: 'sideways' }, 'InvalidArgument', 'unknown sortOrder sideways (one of none, ascend, descend)'],
  ['range', { sortTarget: 'colour' }, 'InvalidArgument', 'unknown sortTarget colour (one of key, version, createRevision, modRevision, value)'],
  ['range', { serializable: 1 }, 'InvalidArgument', 'serializable must be a boolean'],
  ['range', { keysOnly: 'yes' }, 'InvalidArgument', 'keysOnly must be a boolean'],
  ['range', { countOnly: null }, 'InvalidArgument', 'countOnly must be a boolean'],
  ['range', { minModRevision: '1' }, 'InvalidArgument', 'minModRevision must be a non-negative integer, got 1'],
  ['range', { maxModRevision: -2 }, 'InvalidArgument', 'maxModRevision must be a non-negative integer, got -2'],
  ['range', { minCreateRevision: {} }, 'InvalidArgument', 'minCreateRevision must be a non-negative integer, got an object'],
  ['range', { maxCreateRevision: 2 ** 53 }, 'InvalidArgument', `maxCreateRevision must be a non-negative integer, got ${2 ** 53}`],
  ['put', { key: 'k' }, 'InvalidArgument', 'key must be bytes'],
  ['put', { value: undefined }, 'InvalidArgument', 'value must be bytes'],
  ['put', { value: new Uint8Array(REQUEST_BYTES_MAX + 1) }, 'RequestTooLarge', `value is ${REQUEST_BYTES_MAX + 1} bytes, over the limit of ${REQUEST_BYTES_MAX} bytes`],
  ['put', { lease: -1 }, 'InvalidArgument', 'lease must be a non-negative integer, got -1'],
  ['put', { prevKv: 'no' }, 'InvalidArgument', 'prevKv must be a boolean'],
  ['put', { ignoreValue: true }, 'InvalidArgument', 'value is provided although ignoreValue is set'],
  ['put', { ignoreLease: true }, 'InvalidArgument', 'lease is provided although ignoreLease is set'],
  ['deleteRange', { key: b('') }, 'InvalidArgument', 'key is empty'],
  ['deleteRange', { rangeEnd: new Uint8Array(KEY_BYTES_MAX + 1) }, 'RequestTooLarge', `rangeEnd is ${KEY_BYTES_MAX + 1} bytes, over the limit of ${KEY_BYTES_MAX} bytes`],
  ['deleteRange', { prevKv: 0 }, 'InvalidArgument', 'prevKv must be a boolean'],
  ['txn', { compare: 'x' }, 'InvalidArgument', 'txn compare must be a list'],
  ['txn', { success: {} }, 'InvalidArgument', 'txn success must be a list'],
  ['txn', { failure: undefined }, 'InvalidArgument', 'txn failure must be a list'],
  ['txn', { compare: [7] }, 'InvalidArgument', 'compare must be an object'],
  ['txn', { compare: [{ key: b(''), target: 'version', result: 'equal', value: 1 }] }, 'InvalidArgument', 'compare key is empty'],
  ['txn', { compare: [{ key: b('k'), target: 'colour', result: 'equal', value: 1 }] }, 'InvalidArgument', 'unknown compare target colour (one of value, version, createRevision, modRevision, lease)'],
  ['txn', { compare: [{ key: b('k'), target: 'version', result: 'roughly', value: 1 }] }, 'InvalidArgument', 'unknown compare result roughly (one of equal, greater, less, notEqual)'],
  ['txn', { compare: [{ key: b('k'), target: 'value', result: 'equal', value: 1 }] }, 'InvalidArgument', 'a value compare needs bytes'],
  ['txn', { compare: [{ key: b('k'), target: 'lease', result: 'equal', value: b('1') }] }, 'InvalidArgument', "a lease compare's value must be an integer, got bytes"],
  ['txn', { success: [5] }, 'InvalidArgument', 'txn op must be an object'],
  ['txn', { success: [{ type: 'rename', key: b('k') }] }, 'InvalidArgument', 'unknown txn op type rename'],
  ['txn', { success: [{ type: 'put', key: b('k') }] }, 'InvalidArgument', 'value must be bytes'],
  ['txn', { success: [{ type: 'range', key: b('k'), limit: -1 }] }, 'InvalidArgument', 'limit must be a non-negative integer, got -1'],
  ['txn', { success: [{ type: 'deleteRange', key: b('b'), rangeEnd: b('a') }] }, 'InvalidArgument', 'rangeEnd sorts before key (an empty range)'],
  ['txn', { success: Array.from({ length: TXN_OPS_MAX + 1 }, (_, i) => put(`k${i}`)) }, 'TooManyOps', `too many operations in txn request: ${TXN_OPS_MAX + 1} success ops, limit ${TXN_OPS_MAX}`],
  ['txn', { compare: Array.from({ length: TXN_OPS_MAX + 1 }, () => ({ key: b('k'), target: 'version', result: 'equal', value: 0 })) }, 'TooManyOps', `too many operations in txn request: ${TXN_OPS_MAX + 1} compares, limit ${TXN_OPS_MAX}`],
  ['txn', { compare: [], success: [put('a', 'x'.repeat(REQUEST_BYTES_MAX)), put('b')] }, 'RequestTooLarge', `txn is ${REQUEST_BYTES_MAX + 3} bytes, over the limit of ${REQUEST_BYTES_MAX} bytes`],
  ['compact', { revision: 'soon' }, 'InvalidArgument', 'revision must be a non-negative integer, got soon'],
  ['compact', { physical: 'yes' }, 'InvalidArgument', 'physical must be a boolean'],
  ['leaseGrant', { ttl: 1.5 }, 'InvalidArgument', `lease TTL must be an integer from 0 to ${LEASE_TTL_SECONDS_MAX}, got 1.5`],
  ['leaseGrant', { ttl: LEASE_TTL_SECONDS_MAX + 1 }, 'InvalidArgument', `lease TTL must be an integer from 0 to ${LEASE_TTL_SECONDS_MAX}, got ${LEASE_TTL_SECONDS_MAX + 1}`],
  ['leaseGrant', { leaseId: -5 }, 'InvalidArgument', 'leaseId must be a non-negative integer, got -5'],
  ['leaseRevoke', { leaseId: 0 }, 'InvalidArgument', 'leaseId must be a positive integer, got 0'],
  ['leaseKeepAlive', { leaseId: 'abc' }, 'InvalidArgument', 'leaseId must be a positive integer, got abc'],
  ['leaseTimeToLive', { keys: 1 }, 'InvalidArgument', 'keys must be a boolean'],
  ['watchCreate', { watchId: -1 }, 'InvalidArgument', 'watchId must be a non-negative integer, got -1'],
  ['watchCreate', { key: undefined }, 'InvalidArgument', 'key must be bytes'],
  ['watchCreate', { startRevision: -1 }, 'InvalidArgument', 'startRevision must be a non-negative integer, got -1'],
  ['watchCreate', { noDelete: 'x' }, 'InvalidArgument', 'noDelete must be a boolean'],
  ['watchCreate', { progressNotify: 1 }, 'InvalidArgument', 'progressNotify must be a boolean'],
  ['watchCancel', { watchId: undefined }, 'InvalidArgument', 'watchId must be a non-negative integer, got undefined'],
  ['watchProgress', { watchId: 'a' }, 'InvalidArgument', 'watchId must be a non-negative integer, got a'],
  ['memberList', { serializable: 'no' }, 'InvalidArgument', 'serializable must be a boolean'],
  ['memberAdd', { peerUrls: [] }, 'InvalidArgument', 'peerUrls must be a non-empty list of http://host:port URLs'],
  ['memberAdd', { peerUrls: ['ws://h:1'] }, 'InvalidArgument', 'peerUrls must be a non-empty list of http://host:port URLs'],
  ['memberAdd', { isLearner: 'yes' }, 'InvalidArgument', 'isLearner must be a boolean'],
  ['memberRemove', { memberId: '' }, 'InvalidArgument', 'memberId must be a non-empty string'],
  ['memberUpdate', { peerUrls: ['ftp://h:1'] }, 'InvalidArgument', 'peerUrls must be a non-empty list of http://host:port URLs'],
  ['memberUpdate', { memberId: '' }, 'InvalidArgument', 'memberId must be a non-empty string'],
  ['memberPromote', { memberId: 5 }, 'InvalidArgument', 'memberId must be a non-empty string'],
  ['moveLeader', { targetId: undefined }, 'InvalidArgument', 'targetId must be a non-empty string'],
  ['hash', { revision: -1 }, 'InvalidArgument', 'revision must be a non-negative integer, got -1'],
  ['snapshot', { sessionId: 0 }, 'InvalidArgument', 'sessionId must be a positive integer, got 0'],
  ['alarm', { action: 'raise' }, 'InvalidArgument', 'unknown action raise (one of list, disarm, activate)'],
  ['alarm', { action: 'activate', memberId: undefined }, 'InvalidArgument', 'activate needs a memberId and an alarm (NOSPACE or CORRUPT)'],
  ['alarm', { memberId: 1 }, 'InvalidArgument', 'memberId must be a non-empty string'],
  ['alarm', { alarm: 'FIRE' }, 'InvalidArgument', 'unknown alarm FIRE (one of NOSPACE, CORRUPT)'],
  ['authenticate', { name: '' }, 'InvalidArgument', 'name must be a non-empty string'],
  ['authenticate', { password: undefined }, 'InvalidArgument', 'password must be given'],
  ['authenticate', { password: 'p'.repeat(1025) }, 'InvalidArgument', 'password is longer than 1024 bytes'],
  ['authenticate', { password: undefined, token: '' }, 'InvalidArgument', 'token must be a non-empty string'],
  ['userAdd', { noPassword: undefined }, 'InvalidArgument', 'password must be given'],
  ['userAdd', { name: 'é'.repeat(65) }, 'InvalidArgument', 'name is longer than 128 bytes'],
  ['userAdd', { passwordHash: '' }, 'InvalidArgument', 'passwordHash must be a non-empty string'],
  ['userAdd', { noPassword: 'yes' }, 'InvalidArgument', 'noPassword must be a boolean'],
  ['userDelete', { name: 7 }, 'InvalidArgument', 'name must be a non-empty string'],
  ['userGet', { name: undefined }, 'InvalidArgument', 'name must be a non-empty string'],
  ['userChangePassword', { password: undefined }, 'InvalidArgument', 'password must be given'],
  ['userGrantRole', { role: '' }, 'InvalidArgument', 'role must be a non-empty string'],
  ['userRevokeRole', { role: 'r'.repeat(129) }, 'InvalidArgument', 'role is longer than 128 bytes'],
  ['roleAdd', { name: '' }, 'InvalidArgument', 'name must be a non-empty string'],
  ['roleDelete', { name: null }, 'InvalidArgument', 'name must be a non-empty string'],
  ['roleGet', { name: [] }, 'InvalidArgument', 'name must be a non-empty string'],
  ['roleGrantPermission', { permission: 'all' }, 'InvalidArgument', 'permission must be an object {type, key, rangeEnd?}'],
  ['roleGrantPermission', { permission: { type: 'admin', key: b('a') } }, 'InvalidArgument', 'unknown permission type admin (one of read, write, readwrite)'],
  ['roleGrantPermission', { permission: { type: 'read', key: b('') } }, 'InvalidArgument', 'key is empty'],
  ['roleRevokePermission', { key: 'a' }, 'InvalidArgument', 'key must be bytes'],
  ['roleRevokePermission', { rangeEnd: 1 }, 'InvalidArgument', 'rangeEnd must be bytes'],
  ['audit', { fromSeq: -1 }, 'InvalidArgument', 'fromSeq must be a non-negative integer, got -1'],
  ['audit', { prefix: 'a' }, 'InvalidArgument', 'prefix must be bytes'],
  ['audit', { user: '' }, 'InvalidArgument', 'user must be a non-empty string'],
  ['audit', { sinceMs: 1.5 }, 'InvalidArgument', 'sinceMs must be a non-negative integer, got 1.5'],
];

describe('op schema', () => {
  it('accepts every op\'s valid example, as built and after the frame codec', () => {
    for (const op of OP_NAMES) {
      expect(failure(op, VALID[op]), op).toBe('ok');
      const frame = decodeFrame(encodeFrame({ id: 1, op, ...VALID[op] }, 1 << 20), 1 << 20) as { op: OpName };
      expect(() => validateRequest(frame, { maxTxnOps: TXN_OPS_MAX }), op).not.toThrow();
    }
  });

  it.each(BAD.map(([op, patch, code, message]) => [op, Object.keys(patch).join(','), patch, code, message] as const))(
    '%s refuses a bad %s',
    (op, _fields, patch, code, message) => {
      const got = failure(op, { ...VALID[op], ...patch });
      expect(got).toMatchObject({ code, message });
    },
  );

  it('covers every op with at least one bad field (ops that take arguments)', () => {
    const noArgs = OP_NAMES.filter((op) => Object.keys(VALID[op]).length === 0);
    const tested = new Set(BAD.map(([op]) => op));
    expect(OP_NAMES.filter((op) => !tested.has(op) && !noArgs.includes(op))).toEqual([]);
  });

  it('puts the limit in the details of RequestTooLarge and TooManyOps', () => {
    expect(failure('put', { key: b('k'), value: new Uint8Array(REQUEST_BYTES_MAX + 1) })).toMatchObject({
      details: { limitBytes: REQUEST_BYTES_MAX, actualBytes: REQUEST_BYTES_MAX + 1 },
    });
    expect(failure('txn', { compare: [], success: Array.from({ length: 200 }, (_, i) => put(`k${i}`)), failure: [] })).toMatchObject({
      details: { limit: TXN_OPS_MAX },
    });
  });

  it('refuses a missing argument object and ignores unknown fields (a frame carries id and op)', () => {
    expect(failure('put', null)).toMatchObject({ code: 'InvalidArgument', message: 'put arguments missing' });
    expect(failure('put', 'k')).toMatchObject({ code: 'InvalidArgument', message: 'put arguments missing' });
    expect(failure('put', { ...VALID.put, id: 9, op: 'put', colour: 'red' })).toBe('ok');
  });

  it('bounds txn nesting: TXN_DEPTH_MAX levels pass, one more is refused, 10,000 levels are no stack overflow', () => {
    const nested = (depth: number): TxnArgs => {
      let t: TxnArgs = { compare: [], success: [], failure: [] };
      for (let i = 1; i < depth; i++) t = { compare: [], success: [{ type: 'txn', ...t }], failure: [] };
      return t;
    };
    expect(failure('txn', nested(TXN_DEPTH_MAX))).toBe('ok');
    expect(failure('txn', nested(TXN_DEPTH_MAX + 1))).toMatchObject({ code: 'InvalidArgument', message: `txns nested deeper than ${TXN_DEPTH_MAX} levels` });
    expect(failure('txn', nested(10_000))).toMatchObject({ code: 'InvalidArgument' });
  });

  it('admits by the member\'s own --max-txn-ops over the whole tree (validateRequest), beyond the per-level rule', () => {
    const inner: TxnRequestOp = { type: 'txn', compare: [], success: [put('a'), put('b'), put('c')], failure: [put('a')] };
    const args: TxnArgs = { compare: [], success: [inner, put('d')], failure: [] };
    expect(txnOpCount(args)).toBe(5); // inner (1) + its larger branch (3) + d (1)
    expect(failure('txn', args)).toBe('ok');
    expect(() => validateRequest({ op: 'txn', ...args }, { maxTxnOps: 5 })).not.toThrow();
    expect(() => validateRequest({ op: 'txn', ...args }, { maxTxnOps: 4 })).toThrow(
      expect.objectContaining({ code: 'TooManyOps', message: 'txn has 5 operations, limit 4', details: { limit: 4 } }),
    );
  });

  it('counts UTF-8 bytes of names without encoding them', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀é€', '\ud800x', 'x\udc00']) expect(utf8Bytes(s), s).toBe(new TextEncoder().encode(s).byteLength);
  });
});
