import { describe, expect, it } from 'vitest';
import { MemberRegistry } from '../src/member-registry.js';
import { Packr } from 'msgpackr';
import { decodeAttrs, decodeConfContext, decodeHostEntry, decodeMemberPeerUrls, encodeAttrs, encodeConfContext, encodeHostEntry, encodeMemberPeerUrls } from '../src/entry-codec.js';

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

  it('replaces a member\'s peer URLs (etcd\'s MemberUpdate) idempotently, keeps them through promotion and encode/decode, and ignores a removed member', () => {
    const reg = new MemberRegistry([
      { id: 'a', name: 'n1', peerUrls: ['http://h:1'], clientUrls: ['ws://h:11'], isLearner: false },
      { id: 'b', name: 'n2', peerUrls: ['http://h:2'], clientUrls: [], isLearner: true },
    ]);
    const he = decodeHostEntry(encodeHostEntry({ kind: 'peerUrls', proposer: 'p', seq: 3, payload: encodeMemberPeerUrls({ memberId: 'a', peerUrls: ['http://h:21'] }) }));
    expect(he.kind).toBe('peerUrls');
    const update = decodeMemberPeerUrls(he.payload);
    reg.applyPeerUrls(update);
    reg.applyPeerUrls(update); // a replay after restart lands on the same registry
    expect(reg.get('a')).toEqual({ id: 'a', name: 'n1', peerUrls: ['http://h:21'], clientUrls: ['ws://h:11'], isLearner: false });
    expect(reg.peerUrls().get('a')).toBe('http://h:21');
    reg.applyPeerUrls({ memberId: 'b', peerUrls: ['http://h:22'] });
    // Promotion proposes the member's current URLs; a snapshot carries them.
    reg.applyConfChange({ type: 'addVoter', nodeId: 'b' }, reg.get('b')?.peerUrls ?? []);
    const back = MemberRegistry.decode(reg.encode());
    expect([...back.peerUrls()]).toEqual([['a', 'http://h:21'], ['b', 'http://h:22']]);
    reg.applyConfChange({ type: 'removeNode', nodeId: 'a' }, []);
    reg.applyPeerUrls({ memberId: 'a', peerUrls: ['http://h:31'] });
    expect(reg.has('a')).toBe(false);
    const bad = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false }).pack({ memberId: 'a', peerUrls: [] });
    expect(() => decodeMemberPeerUrls(bad)).toThrow(/assertion/);
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
