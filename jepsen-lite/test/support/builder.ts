// Builds hand-written histories entry by entry with dense indexes and increasing times, so a
// test reads like the timeline it describes.

import type { ClientEntry, HistoryEntry, Json, NemesisF, ObservationF } from '../../src/history/types.js';

export const NS_PER_MS = 1_000_000;

/** What a reply header told the client: the member that served it and the store revision. */
export interface Reply {
  readonly node?: string;
  readonly revision?: number;
}

export class HistoryBuilder {
  readonly entries: HistoryEntry[] = [];
  private timeNs = 0;
  private readonly open = new Map<number | string, { f: string; key?: string }>();

  /** Advances the clock (ms) without recording anything. */
  sleep(ms: number): this {
    this.timeNs += ms * NS_PER_MS;
    return this;
  }

  /** `client` names the connection behind the process (it survives a process rename after info). */
  invoke(process: number | string, f: string, key: string | undefined, value: Json, client?: number): this {
    this.open.set(process, key === undefined ? { f } : { f, key });
    return this.push({ process, type: 'invoke', f, ...(key !== undefined ? { key } : {}), value, ...(client !== undefined ? { client } : {}) });
  }

  ok(process: number | string, value: Json = null, reply: Reply = {}): this {
    return this.complete(process, 'ok', value, reply);
  }

  fail(process: number | string, value: Json = null): this {
    return this.complete(process, 'fail', value);
  }

  info(process: number | string, value: Json = null): this {
    return this.complete(process, 'info', value);
  }

  nemesis(f: NemesisF, value: Json = null): this {
    this.timeNs += NS_PER_MS;
    this.entries.push({ process: 'nemesis', type: 'info', f, value, time: this.timeNs, index: this.entries.length });
    return this;
  }

  /** An observation (watch batch, config apply, final read) at the current point of the timeline. */
  observe(process: number | string, f: ObservationF, value: Json, key?: string): this {
    this.timeNs += NS_PER_MS;
    this.entries.push({ process, type: 'info', f, ...(key !== undefined ? { key } : {}), value, time: this.timeNs, index: this.entries.length });
    return this;
  }

  /** invoke + ok back to back: an operation with no concurrency. */
  op(process: number | string, f: string, key: string | undefined, value: Json, result: Json = value): this {
    return this.invoke(process, f, key, value).ok(process, result);
  }

  private complete(process: number | string, type: 'ok' | 'fail' | 'info', value: Json, reply: Reply = {}): this {
    const o = this.open.get(process);
    if (o === undefined) throw new Error(`process ${process} has nothing open`);
    this.open.delete(process);
    return this.push({ process, type, f: o.f, ...(o.key !== undefined ? { key: o.key } : {}), value, ...reply });
  }

  private push(e: Omit<ClientEntry, 'time' | 'index'>): this {
    this.timeNs += NS_PER_MS;
    this.entries.push({ ...e, time: this.timeNs, index: this.entries.length });
    return this;
  }
}
