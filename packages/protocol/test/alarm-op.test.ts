// The `alarm` op in the op table: a known op name, its request and reply survive the codec,
// and it is classed as safe to resend (list reads; disarming twice clears nothing more).
import { describe, expect, it } from 'vitest';
import {
  ALARM_TYPES, decodeFrame, encodeFrame, IDEMPOTENT_OPS, isOpName, okReply, OP_NAMES, parseRequest, parseServerFrame,
  WRITE_OPS, type AlarmMember, type ResponseHeader,
} from '@kite/protocol';

const header: ResponseHeader = { clusterId: 'c1', memberId: 'm1', revision: 5, raftTerm: 2 };
const LIMIT = 1 << 20;

describe('alarm op', () => {
  it('is a known op, idempotent, and replicated (disarm goes through raft)', () => {
    expect(OP_NAMES).toContain('alarm');
    expect(isOpName('alarm')).toBe(true);
    expect(IDEMPOTENT_OPS.has('alarm')).toBe(true);
    expect(WRITE_OPS.has('alarm')).toBe(true);
    expect(ALARM_TYPES).toEqual(['NOSPACE', 'CORRUPT']);
  });

  it('round-trips a disarm request and a list reply through the frame codec', () => {
    const req = parseRequest(decodeFrame(encodeFrame({ id: 7, op: 'alarm', action: 'disarm', memberId: 'abc', alarm: 'NOSPACE' }, LIMIT), LIMIT));
    expect(req.op === 'alarm' && [req.action, req.memberId, req.alarm]).toEqual(['disarm', 'abc', 'NOSPACE']);
    const alarms: AlarmMember[] = [{ memberId: 'abc', alarm: 'NOSPACE' }, { memberId: 'def', alarm: 'NOSPACE' }];
    const reply = parseServerFrame(decodeFrame(encodeFrame(okReply<'alarm'>(7, header, { alarms }), LIMIT), LIMIT));
    expect('ok' in reply && reply.ok && (reply as unknown as { alarms: AlarmMember[] }).alarms).toEqual(alarms);
  });
});
