// JSON ↔ handler objects for the gateway, against the real etcd protos: a request converted
// from JSON has exactly the shape the gRPC door's loader gives handlers (checked by a round
// trip through the loader's own serializer and deserializer), responses come out as etcd's
// gateway writes them (the JSON in etcd's gateway docs), and bad bodies are typed errors.

import { describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/etcd-proto.js';
import { GatewayInputError, requestFromJson, responseToJson } from '../../src/etcd/gateway-json.js';
import { GATEWAY_ROUTES } from '../../src/etcd/gateway-routes.js';
import { methodTypes } from '../../src/etcd/gateway-types.js';

const kv = methodTypes('KV', 'Range');
const txn = methodTypes('KV', 'Txn');
const watch = methodTypes('Watch', 'Watch');

/** What a handler of `service.method` would receive for `obj` through the gRPC door. */
function throughLoader(service: 'KV' | 'Watch', method: string, obj: Record<string, unknown>): unknown {
  const def = etcdServices()[service][method];
  if (def === undefined) throw new Error(`no ${method}`);
  return def.requestDeserialize(def.requestSerialize(obj));
}

describe('requestFromJson', () => {
  it('gives handlers the loader shape: bytes as Buffer, int64 as strings, enums by name, defaults', () => {
    const req = requestFromJson(kv.request, { key: 'Zm9v', range_end: 'Zm9w', limit: '10', sort_order: 'DESCEND', serializable: true });
    expect(req).toEqual(throughLoader('KV', 'Range', req));
    expect(req['key']).toEqual(Buffer.from('foo'));
    expect(req['range_end']).toEqual(Buffer.from('fop'));
    expect(req['limit']).toBe('10');
    expect(req['revision']).toBe('0');
    expect(req['sort_order']).toBe('DESCEND');
    expect(req['sort_target']).toBe('KEY');
    expect(req['serializable']).toBe(true);
    expect(req['keys_only']).toBe(false);
  });

  it('takes lowerCamelCase names, numbers for int64, enum numbers, URL-safe and unpadded base64, null as unset', () => {
    const req = requestFromJson(kv.request, { key: '_-8', rangeEnd: null, limit: 5, sortOrder: 2, maxModRevision: '7' });
    expect(req).toEqual(throughLoader('KV', 'Range', req));
    expect(req['key']).toEqual(Buffer.from([0xff, 0xef]).subarray(0, 2));
    expect(req['range_end']).toEqual(Buffer.alloc(0));
    expect(req['limit']).toBe('5');
    expect(req['sort_order']).toBe('DESCEND');
    expect(req['max_mod_revision']).toBe('7');
  });

  it('reads an empty body as the empty message', () => {
    const req = requestFromJson(kv.request, undefined);
    expect(req).toEqual(throughLoader('KV', 'Range', {}));
  });

  it('converts nested messages and names the oneof member that is set (txn, as in etcd\'s docs)', () => {
    const req = requestFromJson(txn.request, {
      compare: [{ target: 'CREATE', key: 'Zm9v', createRevision: '2' }],
      success: [{ requestPut: { key: 'Zm9v', value: 'YmFy' } }],
      failure: [{ request_range: { key: 'Zm9v' } }],
    });
    expect(req).toEqual(throughLoader('KV', 'Txn', req));
    const compare = (req['compare'] as Record<string, unknown>[])[0];
    expect(compare?.['target']).toBe('CREATE');
    expect(compare?.['target_union']).toBe('create_revision');
    expect(compare?.['create_revision']).toBe('2');
    const success = (req['success'] as Record<string, unknown>[])[0];
    expect(success?.['request']).toBe('request_put');
    expect((success?.['request_put'] as Record<string, unknown>)['value']).toEqual(Buffer.from('bar'));
    expect((req['failure'] as Record<string, unknown>[])[0]?.['request']).toBe('request_range');
  });

  it('converts a watch create request', () => {
    const req = requestFromJson(watch.request, { create_request: { key: 'Zm9v', start_revision: '3', filters: ['NODELETE'], prev_kv: true } });
    expect(req).toEqual(throughLoader('Watch', 'Watch', req));
    expect(req['request_union']).toBe('create_request');
    expect((req['create_request'] as Record<string, unknown>)['filters']).toEqual(['NODELETE']);
  });

  it.each([
    [{ nope: 1 }, /unknown field "nope" in etcdserverpb.RangeRequest/],
    [{ key: 123 }, /key: expected base64-encoded bytes/],
    [{ key: 'a' }, /expected base64-encoded bytes/],
    [{ key: 'Zm9v!' }, /expected base64-encoded bytes/],
    [{ limit: 'ten' }, /limit: expected an integer/],
    [{ limit: 1.5 }, /limit: expected an integer/],
    [{ limit: '9223372036854775808' }, /out of range for int64/],
    [{ limit: 2 ** 60 }, /limit: expected an integer/],
    [{ sort_order: 'SIDEWAYS' }, /sort_order: expected one of NONE, ASCEND, DESCEND/],
    [{ serializable: 'yes' }, /serializable: expected true or false/],
    [[], /expected a JSON object/],
    ['x', /expected a JSON object/],
  ])('refuses %j with a GatewayInputError', (json, message) => {
    expect(() => requestFromJson(kv.request, json)).toThrow(GatewayInputError);
    expect(() => requestFromJson(kv.request, json)).toThrow(message);
  });

  it('refuses a wrong type deep in a txn with the path to it', () => {
    expect(() => requestFromJson(txn.request, { success: [{ request_put: { key: 'Zm9v', lease: {} } }] })).toThrow(/success\[0\]\.request_put\.lease: expected an integer/);
    expect(() => requestFromJson(txn.request, { success: {} })).toThrow(/success: expected a JSON array/);
    expect(() => requestFromJson(txn.request, { compare: [{ result: 'EQUAL', target: 'VERSION', key: 'Zm9v', version: '-1', x: 1 }] })).toThrow(/unknown field "x" in etcdserverpb.Compare/);
  });

  it('bounds uint64 fields to unsigned values', () => {
    const remove = methodTypes('Cluster', 'MemberRemove');
    expect(requestFromJson(remove.request, { ID: '18446744073709551615' })['ID']).toBe('18446744073709551615');
    expect(() => requestFromJson(remove.request, { ID: '-1' })).toThrow(/out of range for uint64/);
    expect(() => requestFromJson(remove.request, { ID: '18446744073709551616' })).toThrow(/out of range for uint64/);
  });
});

describe('responseToJson', () => {
  const header = { cluster_id: '12585971608760269493', member_id: '13847567121247652255', revision: '2', raft_term: '3' };

  it('writes a range response as etcd\'s gateway docs show it: zero values left out', () => {
    const resp = {
      header,
      kvs: [{ key: Buffer.from('foo'), create_revision: '2', mod_revision: '2', version: '1', value: Buffer.from('bar'), lease: '0' }],
      more: false,
      count: '1',
    };
    expect(JSON.stringify(responseToJson(kv.response, resp))).toBe(
      '{"header":{"cluster_id":"12585971608760269493","member_id":"13847567121247652255","revision":"2","raft_term":"3"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}',
    );
  });

  it('writes the set oneof member of a txn response and a header holding only its revision', () => {
    const resp = {
      header,
      succeeded: true,
      responses: [{ response: 'response_range', response_range: { header: { revision: '6' }, kvs: [], count: '0', more: false } }],
    };
    expect(responseToJson(txn.response, resp)).toEqual({ header, succeeded: true, responses: [{ response_range: { header: { revision: '6' } } }] });
  });

  it('leaves out a PUT event\'s type (the enum\'s zero) and writes DELETE', () => {
    const resp = {
      header,
      watch_id: '0',
      created: false,
      events: [
        { type: 'PUT', kv: { key: Buffer.from('foo'), value: Buffer.from('bar'), create_revision: '2', mod_revision: '2', version: '1' } },
        { type: 'DELETE', kv: { key: Buffer.from('foo'), mod_revision: '3' } },
      ],
    };
    expect(responseToJson(watch.response, resp)).toEqual({
      header,
      events: [
        { kv: { key: 'Zm9v', create_revision: '2', mod_revision: '2', version: '1', value: 'YmFy' } },
        { type: 'DELETE', kv: { key: 'Zm9v', mod_revision: '3' } },
      ],
    });
  });

  it('throws a plain Error (not input error) for a handler object that does not fit its type', () => {
    expect(() => responseToJson(kv.response, { count: 'many' })).toThrow(/assertion/);
    expect(() => responseToJson(kv.response, { count: 'many' })).not.toThrow(GatewayInputError);
  });
});

describe('GATEWAY_ROUTES', () => {
  it('names only methods rpc.proto has, with a stream kind exactly for its streaming methods', () => {
    const services = etcdServices();
    for (const [path, route] of GATEWAY_ROUTES) {
      const def = services[route.service as keyof typeof services][route.method];
      expect(def, path).toBeDefined();
      expect(route.stream !== undefined, path).toBe(def?.responseStream === true);
      expect(() => methodTypes(route.service, route.method), path).not.toThrow();
    }
  });
});
