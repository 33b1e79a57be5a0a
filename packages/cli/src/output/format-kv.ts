// Formatters for key-value replies in the three output modes. Pure: (reply, options) → text.
// simple mirrors etcdctl (key line then value line, OK for put, a count for delete);
// json is one object per reply with camelCase fields and bytes as UTF-8 (or *_base64);
// table is an ASCII table with one row per key; fields is etcdctl's `"Name" : value` lines.
// In simple, table and fields output keys and values are escaped for the terminal (or hex
// with --hex: style 'hex'); json is exact in either style.
import { putBytesField, formatLeaseId, hexOf, keyText, showKey, showValue, type BytesStyle } from '../bytes.js';
import type { KvOutputFormat as OutputFormat } from '../flags.js';
import { renderTable } from './table.js';
import type {
  DeleteView, EventView, HeaderView, KvView, PutView, RangeView, TxnResponseView, TxnView,
} from './views.js';

export interface GetPrintOptions {
  readonly keysOnly?: boolean;
  readonly printValueOnly?: boolean;
  readonly countOnly?: boolean;
  readonly style?: BytesStyle;
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
  const style = o.style ?? 'text';
  if (o.printValueOnly === true) return `${showValue(kv.value, style)}\n`;
  if (o.keysOnly === true) return `${showKey(kv.key, style)}\n`;
  return `${showKey(kv.key, style)}\n${showValue(kv.value, style)}\n`;
}

/** A table cell holds one line: values are escaped like keys there. */
function cell(b: Uint8Array, style: BytesStyle): string {
  return style === 'hex' ? hexOf(b) : keyText(b);
}

function kvTable(kvs: readonly KvView[], style: BytesStyle): string {
  return renderTable(
    ['key', 'value', 'create rev', 'mod rev', 'version', 'lease'],
    kvs.map((kv) => [
      cell(kv.key, style), cell(kv.value, style), String(kv.createRevision), String(kv.modRevision), String(kv.version),
      kv.lease !== undefined && kv.lease !== 0 ? formatLeaseId(kv.lease) : '-',
    ]),
  );
}

// ---- fields (etcdctl -w fields): one `"Name" : value` line per field; strings quoted.

/** A quoted field string (as Go's %q): escaped like a key, plus `"`; bytes that are not UTF-8 stay distinct. */
function quoted(b: Uint8Array, style: BytesStyle): string {
  return `"${style === 'hex' ? hexOf(b) : keyText(b).replaceAll('"', '\\"')}"`;
}

function headerFields(h: HeaderView | undefined): string[] {
  if (h === undefined) return [];
  return [`"ClusterID" : ${h.clusterId ?? ''}`, `"MemberID" : ${h.memberId ?? ''}`, `"Revision" : ${h.revision}`, `"RaftTerm" : ${h.raftTerm ?? ''}`];
}

function kvFields(prefix: string, kv: KvView, style: BytesStyle): string[] {
  return [
    `"${prefix}Key" : ${quoted(kv.key, style)}`,
    `"${prefix}CreateRevision" : ${kv.createRevision}`,
    `"${prefix}ModRevision" : ${kv.modRevision}`,
    `"${prefix}Version" : ${kv.version}`,
    `"${prefix}Value" : ${quoted(kv.value, style)}`,
    `"${prefix}Lease" : ${kv.lease ?? 0}`,
  ];
}

function lines(xs: readonly string[]): string {
  return xs.map((x) => `${x}\n`).join('');
}

function rangeFields(r: RangeView, style: BytesStyle): string[] {
  return [...headerFields(r.header), ...r.kvs.flatMap((kv) => kvFields('', kv, style)), `"More" : ${r.more === true}`, `"Count" : ${r.count}`];
}

function putFields(r: PutView, style: BytesStyle): string[] {
  return [...headerFields(r.header), ...(r.prevKv !== undefined ? kvFields('Prev', r.prevKv, style) : [])];
}

function deleteFields(r: DeleteView, style: BytesStyle): string[] {
  return [...headerFields(r.header), `"Deleted" : ${r.deleted}`, ...(r.prevKvs ?? []).flatMap((kv) => kvFields('Prev', kv, style))];
}

function txnResponseFields(r: TxnResponseView, style: BytesStyle): string[] {
  switch (r.type) {
    case 'range': return rangeFields(r, style);
    case 'put': return putFields(r, style);
    case 'deleteRange': return deleteFields(r, style);
    case 'txn': return [`"Succeeded" : ${r.succeeded}`, ...r.responses.flatMap((x) => txnResponseFields(x, style))];
  }
}

export function json(x: unknown): string {
  return `${JSON.stringify(x)}\n`;
}

export function formatRange(r: RangeView, fmt: OutputFormat, o: GetPrintOptions = {}): string {
  const style = o.style ?? 'text';
  if (fmt === 'json') {
    return json({ ...withHeader(r.header), kvs: r.kvs.map(kvJson), more: r.more === true, count: r.count });
  }
  if (fmt === 'fields') return lines(rangeFields(r, style));
  if (o.countOnly === true) return fmt === 'table' ? renderTable(['count'], [[String(r.count)]]) : `${r.count}\n`;
  if (fmt === 'table') return kvTable(r.kvs, style);
  return r.kvs.map((kv) => kvLines(kv, o)).join('');
}

export function formatPut(r: PutView, fmt: OutputFormat, style: BytesStyle = 'text'): string {
  if (fmt === 'fields') return lines(putFields(r, style));
  if (fmt === 'json') {
    const out: Record<string, unknown> = withHeader(r.header);
    if (r.prevKv !== undefined) out['prevKv'] = kvJson(r.prevKv);
    return json(out);
  }
  if (fmt === 'table') {
    return renderTable(['result', 'revision'], [['OK', String(r.header?.revision ?? '')]]) +
      (r.prevKv !== undefined ? kvTable([r.prevKv], style) : '');
  }
  return `OK\n${r.prevKv !== undefined ? kvLines(r.prevKv, { style }) : ''}`;
}

export function formatDelete(r: DeleteView, fmt: OutputFormat, style: BytesStyle = 'text'): string {
  if (fmt === 'fields') return lines(deleteFields(r, style));
  if (fmt === 'json') {
    const out: Record<string, unknown> = { ...withHeader(r.header), deleted: r.deleted };
    if (r.prevKvs !== undefined) out['prevKvs'] = r.prevKvs.map(kvJson);
    return json(out);
  }
  if (fmt === 'table') {
    return renderTable(['deleted', 'revision'], [[String(r.deleted), String(r.header?.revision ?? '')]]) +
      (r.prevKvs !== undefined && r.prevKvs.length > 0 ? kvTable(r.prevKvs, style) : '');
  }
  return `${r.deleted}\n${(r.prevKvs ?? []).map((kv) => kvLines(kv, { style })).join('')}`;
}

function txnResponseSimple(r: TxnResponseView, style: BytesStyle): string {
  switch (r.type) {
    case 'range': return formatRange(r, 'simple', { style });
    case 'put': return formatPut(r, 'simple', style);
    case 'deleteRange': return formatDelete(r, 'simple', style);
    case 'txn': return [`${r.succeeded ? 'SUCCESS' : 'FAILURE'}\n`, ...r.responses.map((x) => txnResponseSimple(x, style))].join('\n');
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

export function formatTxn(r: TxnView, fmt: OutputFormat, style: BytesStyle = 'text'): string {
  if (fmt === 'fields') return lines([...headerFields(r.header), `"Succeeded" : ${r.succeeded}`, ...r.responses.flatMap((x) => txnResponseFields(x, style))]);
  if (fmt === 'json') {
    return json({ header: headerJson(r.header), succeeded: r.succeeded, responses: r.responses.map(txnResponseJson) });
  }
  const verdict = r.succeeded ? 'SUCCESS' : 'FAILURE';
  if (fmt === 'table') {
    return renderTable(['result', 'revision', 'responses'], [[verdict, String(r.header.revision), String(r.responses.length)]]) +
      r.responses.map((x) => (x.type === 'range' ? kvTable(x.kvs, style) : '')).join('');
  }
  return [`${verdict}\n`, ...r.responses.map((x) => txnResponseSimple(x, style))].join('\n');
}

export function formatEvent(ev: EventView, fmt: OutputFormat, style: BytesStyle = 'text', header?: HeaderView): string {
  if (fmt === 'fields') {
    return lines([
      ...headerFields(header), `"Type" : ${ev.type === 'put' ? 'PUT' : 'DELETE'}`,
      ...(ev.prevKv !== undefined ? kvFields('Prev', ev.prevKv, style) : []), ...kvFields('', ev.kv, style),
    ]);
  }
  if (fmt === 'json') {
    const out: Record<string, unknown> = { type: ev.type, kv: kvJson(ev.kv) };
    if (ev.prevKv !== undefined) out['prevKv'] = kvJson(ev.prevKv);
    return json(out);
  }
  const kind = ev.type === 'put' ? 'PUT' : 'DELETE';
  if (fmt === 'table') {
    return renderTable(['event', 'key', 'value', 'mod rev', 'prev value'], [[
      kind, cell(ev.kv.key, style), ev.type === 'put' ? cell(ev.kv.value, style) : '', String(ev.kv.modRevision),
      ev.prevKv !== undefined ? cell(ev.prevKv.value, style) : '',
    ]]);
  }
  const prev = ev.prevKv !== undefined ? kvLines(ev.prevKv, { style }) : '';
  const cur = ev.type === 'put' ? kvLines(ev.kv, { style }) : `${showKey(ev.kv.key, style)}\n`;
  return `${kind}\n${prev}${cur}`;
}
