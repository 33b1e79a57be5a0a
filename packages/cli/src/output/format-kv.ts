// Formatters for key-value replies in the three output modes. Pure: (reply, options) → text.
// simple mirrors etcdctl (key line then value line, OK for put, a count for delete);
// json is one object per reply with camelCase fields and bytes as UTF-8 (or *_base64);
// table is an ASCII table with one row per key.
import { putBytesField, text, formatLeaseId } from '../bytes.js';
import type { OutputFormat } from '../flags.js';
import { renderTable } from './table.js';
import type {
  DeleteView, EventView, HeaderView, KvView, PutView, RangeView, TxnResponseView, TxnView,
} from './views.js';

export interface GetPrintOptions {
  readonly keysOnly?: boolean;
  readonly printValueOnly?: boolean;
  readonly countOnly?: boolean;
}

export function headerJson(h: HeaderView): Record<string, unknown> {
  const out: Record<string, unknown> = { revision: h.revision };
  if (h.clusterId !== undefined) out['clusterId'] = String(h.clusterId);
  if (h.memberId !== undefined) out['memberId'] = String(h.memberId);
  if (h.raftTerm !== undefined) out['raftTerm'] = h.raftTerm;
  return out;
}

function withHeader(h: HeaderView | undefined): Record<string, unknown> {
  return h !== undefined ? { header: headerJson(h) } : {};
}

export function kvJson(kv: KvView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  putBytesField(out, 'key', kv.key);
  putBytesField(out, 'value', kv.value);
  out['createRevision'] = kv.createRevision;
  out['modRevision'] = kv.modRevision;
  out['version'] = kv.version;
  out['lease'] = kv.lease !== undefined && kv.lease !== 0 ? formatLeaseId(kv.lease) : '0';
  return out;
}

function kvLines(kv: KvView, o: GetPrintOptions): string {
  if (o.printValueOnly === true) return `${text(kv.value)}\n`;
  if (o.keysOnly === true) return `${text(kv.key)}\n`;
  return `${text(kv.key)}\n${text(kv.value)}\n`;
}

function kvTable(kvs: readonly KvView[]): string {
  return renderTable(
    ['key', 'value', 'create rev', 'mod rev', 'version', 'lease'],
    kvs.map((kv) => [
      text(kv.key), text(kv.value), String(kv.createRevision), String(kv.modRevision), String(kv.version),
      kv.lease !== undefined && kv.lease !== 0 ? formatLeaseId(kv.lease) : '-',
    ]),
  );
}

export function json(x: unknown): string {
  return `${JSON.stringify(x)}\n`;
}

export function formatRange(r: RangeView, fmt: OutputFormat, o: GetPrintOptions = {}): string {
  if (fmt === 'json') {
    return json({ ...withHeader(r.header), kvs: r.kvs.map(kvJson), more: r.more === true, count: r.count });
  }
  if (o.countOnly === true) return fmt === 'table' ? renderTable(['count'], [[String(r.count)]]) : `${r.count}\n`;
  if (fmt === 'table') return kvTable(r.kvs);
  return r.kvs.map((kv) => kvLines(kv, o)).join('');
}

export function formatPut(r: PutView, fmt: OutputFormat): string {
  if (fmt === 'json') {
    const out: Record<string, unknown> = withHeader(r.header);
    if (r.prevKv !== undefined) out['prevKv'] = kvJson(r.prevKv);
    return json(out);
  }
  if (fmt === 'table') {
    return renderTable(['result', 'revision'], [['OK', String(r.header?.revision ?? '')]]) +
      (r.prevKv !== undefined ? kvTable([r.prevKv]) : '');
  }
  return `OK\n${r.prevKv !== undefined ? kvLines(r.prevKv, {}) : ''}`;
}

export function formatDelete(r: DeleteView, fmt: OutputFormat): string {
  if (fmt === 'json') {
    const out: Record<string, unknown> = { ...withHeader(r.header), deleted: r.deleted };
    if (r.prevKvs !== undefined) out['prevKvs'] = r.prevKvs.map(kvJson);
    return json(out);
  }
  if (fmt === 'table') {
    return renderTable(['deleted', 'revision'], [[String(r.deleted), String(r.header?.revision ?? '')]]) +
      (r.prevKvs !== undefined && r.prevKvs.length > 0 ? kvTable(r.prevKvs) : '');
  }
  return `${r.deleted}\n${(r.prevKvs ?? []).map((kv) => kvLines(kv, {})).join('')}`;
}

function txnResponseSimple(r: TxnResponseView): string {
  switch (r.type) {
    case 'range': return formatRange(r, 'simple');
    case 'put': return formatPut(r, 'simple');
    case 'deleteRange': return formatDelete(r, 'simple');
    case 'txn': return [`${r.succeeded ? 'SUCCESS' : 'FAILURE'}\n`, ...r.responses.map(txnResponseSimple)].join('\n');
  }
}

function txnResponseJson(r: TxnResponseView): Record<string, unknown> {
  switch (r.type) {
    case 'range': return { type: r.type, kvs: r.kvs.map(kvJson), more: r.more === true, count: r.count };
    case 'put': return r.prevKv !== undefined ? { type: r.type, prevKv: kvJson(r.prevKv) } : { type: r.type };
    case 'deleteRange': {
      const out: Record<string, unknown> = { type: r.type, deleted: r.deleted };
      if (r.prevKvs !== undefined) out['prevKvs'] = r.prevKvs.map(kvJson);
      return out;
    }
    case 'txn': return { type: r.type, succeeded: r.succeeded, responses: r.responses.map(txnResponseJson) };
  }
}

export function formatTxn(r: TxnView, fmt: OutputFormat): string {
  if (fmt === 'json') {
    return json({ header: headerJson(r.header), succeeded: r.succeeded, responses: r.responses.map(txnResponseJson) });
  }
  const verdict = r.succeeded ? 'SUCCESS' : 'FAILURE';
  if (fmt === 'table') {
    return renderTable(['result', 'revision', 'responses'], [[verdict, String(r.header.revision), String(r.responses.length)]]) +
      r.responses.map((x) => (x.type === 'range' ? kvTable(x.kvs) : '')).join('');
  }
  return [`${verdict}\n`, ...r.responses.map(txnResponseSimple)].join('\n');
}

export function formatEvent(ev: EventView, fmt: OutputFormat): string {
  if (fmt === 'json') {
    const out: Record<string, unknown> = { type: ev.type, kv: kvJson(ev.kv) };
    if (ev.prevKv !== undefined) out['prevKv'] = kvJson(ev.prevKv);
    return json(out);
  }
  const kind = ev.type === 'put' ? 'PUT' : 'DELETE';
  if (fmt === 'table') {
    return renderTable(['event', 'key', 'value', 'mod rev', 'prev value'], [[
      kind, text(ev.kv.key), ev.type === 'put' ? text(ev.kv.value) : '', String(ev.kv.modRevision),
      ev.prevKv !== undefined ? text(ev.prevKv.value) : '',
    ]]);
  }
  const prev = ev.prevKv !== undefined ? kvLines(ev.prevKv, {}) : '';
  const cur = ev.type === 'put' ? kvLines(ev.kv, {}) : `${text(ev.kv.key)}\n`;
  return `${kind}\n${prev}${cur}`;
}
