// Envelope parsing and error (de)serialisation across the wire.
import { describe, expect, it } from 'vitest';
import {
  decodeFrame, encodeFrame, errorReply, fromWireError, isWatchPush, KiteError, okReply, parseRequest,
  parseServerFrame, toWireError, type ResponseHeader,
} from '@kite/protocol';

const header: ResponseHeader = { clusterId: 'c1', memberId: 'm1', revision: 5, raftTerm: 2 };
const LIMIT = 1 << 20;

describe('frames', () => {
  it('parses a request envelope and refuses unknown ops and bad ids', () => {
    expect(parseRequest({ id: 3, op: 'range', key: new Uint8Array() }).op).toBe('range');
    expect(() => parseRequest({ id: 3, op: 'frobnicate' })).toThrow(KiteError);
    try {
      parseRequest({ id: 3, op: 'frobnicate' });
    } catch (e) {
      expect((e as KiteError).code).toBe('UnknownOp');
      expect((e as KiteError).details['id']).toBe(3);
    }
    for (const bad of [null, 5, [], { id: -1, op: 'range' }, { id: 1.5, op: 'range' }, { op: 'range' }]) {
      expect(() => parseRequest(bad)).toThrow(KiteError);
    }
  });

  it('tells replies from watch pushes and checks headers', () => {
    const ok = parseServerFrame(decodeFrame(encodeFrame(okReply<'put'>(4, header, {}), LIMIT), LIMIT));
    expect(isWatchPush(ok)).toBe(false);
    const push = parseServerFrame({ watchId: 1, header, events: [] });
    expect(isWatchPush(push)).toBe(true);
    expect(() => parseServerFrame({ id: 1, ok: true })).toThrow(KiteError);
    expect(() => parseServerFrame({ watchId: 1, header, events: 'x' })).toThrow(KiteError);
    expect(() => parseServerFrame({ id: 1, ok: 'yes', header })).toThrow(KiteError);
  });

  it('carries error codes and details across the wire', () => {
    const err = new KiteError('Compacted', 'required revision has been compacted', { compactRevision: 42 });
    const wire = decodeFrame(encodeFrame(errorReply(9, toWireError(err)), LIMIT), LIMIT);
    const reply = parseServerFrame(wire);
    expect('ok' in reply && reply.ok).toBe(false);
    if ('ok' in reply && !reply.ok) {
      const back = fromWireError(reply.error);
      expect(back.code).toBe('Compacted');
      expect(back.message).toBe('required revision has been compacted');
      expect(back.details.compactRevision).toBe(42);
    }
  });

  it('hides non-Kite throwables as Internal and degrades unknown codes', () => {
    expect(toWireError(new TypeError('secret stack'))).toEqual({ code: 'Internal', message: 'internal error' });
    expect(fromWireError({ code: 'Nope', message: 'x' }).code).toBe('Internal');
    expect(fromWireError('junk').code).toBe('MalformedFrame');
  });
});
