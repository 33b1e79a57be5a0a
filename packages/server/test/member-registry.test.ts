import { describe, expect, it } from 'vitest';
import { MemberRegistry } from '../src/member-registry.js';
import { decodeAttrs, decodeConfContext, decodeHostEntry, encodeAttrs, encodeConfContext, encodeHostEntry } from '../src/entry-codec.js';

describe('MemberRegistry', () => {
  it('applies conf changes and attributes idempotently and survives encode/decode', () => {
    const reg = new MemberRegistry([{ id: 'a', name: 'n1', peerUrls: ['http://h:1'], clientUrls: [], isLearner: false }]);
    const once = (): void => {
      reg.applyConfChange({ type: 'addLearner', nodeId: 'b' }, ['http://h:2']);
      reg.applyAttributes({ memberId: 'b', name: 'n2', clientUrls: ['ws://h:3'] });
      reg.applyConfChange({ type: 'addVoter', nodeId: 'b' }, ['http://h:2']);
      reg.applyConfChange({ type: 'removeNode', nodeId: 'a' }, []);
    };
    once();
    const snapshot = reg.list();
    once(); // a replay after restart lands on the same registry
    expect(reg.list()).toEqual(snapshot);
    expect(snapshot).toEqual([{ id: 'b', name: 'n2', peerUrls: ['http://h:2'], clientUrls: ['ws://h:3'], isLearner: false }]);
    const back = MemberRegistry.decode(reg.encode());
    expect(back.list()).toEqual(snapshot);
    expect(back.isRemoved('a')).toBe(true);
    expect([...back.peerUrls()]).toEqual([['b', 'http://h:2']]);
  });

  it('keeps a member\'s published etcd door URLs through attributes, conf changes and encode/decode', () => {
    const reg = new MemberRegistry([{ id: 'a', name: 'n1', peerUrls: ['http://h:1'], clientUrls: [], isLearner: true }]);
    reg.applyAttributes(decodeAttrs(encodeAttrs({ memberId: 'a', name: 'n1', clientUrls: ['ws://h:2'], grpcUrls: ['http://h:12'] })));
    reg.applyConfChange({ type: 'addVoter', nodeId: 'a' }, []);
    expect(reg.get('a')?.grpcUrls).toEqual(['http://h:12']);
    expect(MemberRegistry.decode(reg.encode()).get('a')?.grpcUrls).toEqual(['http://h:12']);
    // A member restarted with its door off publishes none: the old URL goes.
    reg.applyAttributes(decodeAttrs(encodeAttrs({ memberId: 'a', name: 'n1', clientUrls: ['ws://h:2'] })));
    expect(reg.get('a')).toEqual({ id: 'a', name: 'n1', peerUrls: ['http://h:1'], clientUrls: ['ws://h:2'], isLearner: false });
  });

  it('round-trips host entries and conf change contexts', () => {
    const e = { kind: 'kv' as const, proposer: 'm/1', seq: 9, payload: new Uint8Array([1, 2]) };
    const back = decodeHostEntry(encodeHostEntry(e));
    expect({ ...back, payload: [...back.payload] }).toEqual({ ...e, payload: [1, 2] });
    expect(decodeConfContext(encodeConfContext({ proposer: 'p', seq: 1, peerUrls: ['http://x:1'] }))).toEqual({ proposer: 'p', seq: 1, peerUrls: ['http://x:1'] });
    expect(decodeConfContext(new Uint8Array([0xc1]))).toBeNull();
    expect(() => decodeHostEntry(new Uint8Array([0x90]))).toThrow(/assertion/);
  });
});
