// Reads the audit trail for the view: every page of the filtered trail once (the op pages by
// sequence number, oldest first), keeping the newest AUDIT_ROWS_MAX matches, then, on each
// `more()`, only the records after the last match seen. Invariants: records are kept in
// sequence order without duplicates (a record is taken only when its seq is past the newest
// kept); memory is bounded by AUDIT_ROWS_MAX whatever the trail's length; every read is paged.
import type { AuditRecord, KiteClient } from '@kite/client/browser';
import { matchesLocally, serverArgs, type AuditFilter } from './audit-filter.js';

/** Rows the view keeps (the newest). */
export const AUDIT_ROWS_MAX = 1000;
/** Pages read in one load at most (each ≤ 1000 records and ≤ 20 000 scanned by the member). */
export const AUDIT_PAGES_PER_LOAD_MAX = 1000;

export class AuditTrail {
  private rowsValue: AuditRecord[] = [];
  /** The first sequence number not read yet (a match's seq + 1, or where the last page stopped). */
  private fromSeq = 1;

  constructor(private readonly client: KiteClient, readonly filter: AuditFilter) {}

  get rows(): readonly AuditRecord[] {
    return this.rowsValue;
  }

  /** Reads what is new since the last call (the whole filtered trail on the first); returns how many rows were added. */
  async more(): Promise<number> {
    const args = serverArgs(this.filter);
    let added = 0;
    for (let page = 0; page < AUDIT_PAGES_PER_LOAD_MAX; page++) {
      const r = await this.client.request('audit', { ...args, fromSeq: this.fromSeq });
      const last = this.rowsValue[this.rowsValue.length - 1]?.seq ?? 0;
      for (const rec of r.records) {
        if (rec.seq <= last || !matchesLocally(rec, this.filter)) continue;
        this.rowsValue.push(rec);
        added++;
      }
      const newest = r.records[r.records.length - 1];
      if (newest !== undefined) this.fromSeq = Math.max(this.fromSeq, newest.seq + 1);
      if (this.rowsValue.length > AUDIT_ROWS_MAX) this.rowsValue = this.rowsValue.slice(-AUDIT_ROWS_MAX);
      if (r.nextSeq === null) break;
      this.fromSeq = Math.max(this.fromSeq, r.nextSeq);
    }
    return added;
  }
}
