// The live key tree: each open folder is one range (keys only, at most KEYS_PAGE_MAX keys) and
// one watch on its prefix from the range's revision + 1, so nothing between the read and the
// watch is lost. The range is serializable (the member's own state, no leader round): a member
// a little behind is caught up by the watch, which continues from the revision it read at. Watch events are queued and applied once per animation frame (one render per
// frame however fast keys change); a queue that reaches PENDING_EVENTS_MAX is applied at once,
// so memory stays bounded when frames stall (a hidden tab). At most OPEN_FOLDERS_MAX folders
// are open (each holds a watch); collapsing a folder closes it and everything open below it.
import { isKiteError, prefixRangeEnd, toBytes, type KiteClient, type Watch, type WatchEvent } from '@kite/client/browser';
import { RANGE_END_ALL } from '@kite/protocol';
import { errorText } from '../error-text.js';
import { KEYS_PAGE_MAX, OPEN_FOLDERS_MAX, PENDING_EVENTS_MAX } from './limits.js';
import { appendPage, applyEvents, clearChanged, levelFromPage, type Level } from './tree-model.js';


export interface FolderState {
  readonly level: Level | null;
  readonly loading: boolean;
  readonly error: string | null;
}

interface Folder {
  state: FolderState;
  watch: Watch | null;
  pending: WatchEvent[];
}

export class KeyTreeStore {
  private readonly folders = new Map<string, Folder>();
  private frame: number | null = null;
  private pendingCount = 0;
  private disposed = false;

  constructor(private readonly client: KiteClient, private readonly onChange: () => void) {}

  folder(prefix: string): FolderState | undefined {
    return this.folders.get(prefix)?.state;
  }

  isOpen(prefix: string): boolean {
    return this.folders.has(prefix);
  }

  /** Opens a folder: one range, then a watch from the range's revision + 1. */
  async open(prefix: string): Promise<void> {
    if (this.disposed || this.folders.has(prefix)) return;
    if (this.folders.size >= OPEN_FOLDERS_MAX) {
      this.folders.set(prefix, { state: { level: null, loading: false, error: `at most ${OPEN_FOLDERS_MAX} folders can be open; close one first` }, watch: null, pending: [] });
      this.onChange();
      return;
    }
    const folder: Folder = { state: { level: null, loading: true, error: null }, watch: null, pending: [] };
    this.folders.set(prefix, folder);
    this.onChange();
    try {
      const r = await this.client.get(prefix, { prefix: true, keysOnly: true, limit: KEYS_PAGE_MAX, serializable: true });
      if (this.folders.get(prefix) !== folder) return;
      folder.state = { level: levelFromPage(prefix, r.kvs, r.more, r.header.revision), loading: false, error: null };
      this.follow(prefix, folder, r.header.revision + 1);
    } catch (err) {
      if (this.folders.get(prefix) === folder) folder.state = { level: null, loading: false, error: errorText(err) };
    }
    this.onChange();
  }

  /** Closes a folder and every open folder below it (their watches end). */
  close(prefix: string): void {
    for (const [p, f] of [...this.folders]) {
      if (!p.startsWith(prefix)) continue;
      f.watch?.cancel();
      this.pendingCount -= f.pending.length;
      this.folders.delete(p);
    }
    this.onChange();
  }

  /** Reads the next page of an open folder (one range, from where the last page stopped). */
  async loadMore(prefix: string): Promise<void> {
    const folder = this.folders.get(prefix);
    const level = folder?.state.level;
    if (folder === undefined || level === null || level === undefined || level.nextStart === null || folder.state.loading) return;
    folder.state = { ...folder.state, loading: true };
    this.onChange();
    try {
      const end = prefix === '' ? RANGE_END_ALL : prefixRangeEnd(toBytes(prefix));
      const r = await this.client.get(level.nextStart, { rangeEnd: end, keysOnly: true, limit: KEYS_PAGE_MAX, serializable: true });
      const now = folder.state.level ?? level;
      folder.state = { level: appendPage(now, r.kvs, r.more), loading: false, error: null };
    } catch (err) {
      folder.state = { ...folder.state, loading: false, error: errorText(err) };
    }
    this.onChange();
  }

  /** The user looked at `path`: its changed mark goes. */
  markSeen(parent: string, path: string): void {
    const folder = this.folders.get(parent);
    const level = folder?.state.level;
    if (folder === undefined || level === null || level === undefined) return;
    const next = clearChanged(level, path);
    if (next === level) return;
    folder.state = { ...folder.state, level: next };
    this.onChange();
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    for (const f of this.folders.values()) f.watch?.cancel();
    this.folders.clear();
  }

  private follow(prefix: string, folder: Folder, startRevision: number): void {
    const w = this.client.watch(prefix, { prefix: true, startRevision });
    folder.watch = w;
    void (async () => {
      try {
        for await (const batch of w) {
          if (this.folders.get(prefix) !== folder) return;
          folder.pending.push(...batch.events);
          this.pendingCount += batch.events.length;
          this.schedule();
        }
      } catch (err) {
        if (this.folders.get(prefix) !== folder) return;
        // History compacted under a slow watch: read the folder again.
        if (isKiteError(err, 'Compacted')) {
          this.close(prefix);
          void this.open(prefix);
          return;
        }
        folder.state = { ...folder.state, error: `live updates stopped: ${errorText(err)}` };
        this.onChange();
      }
    })();
  }

  private schedule(): void {
    if (this.pendingCount >= PENDING_EVENTS_MAX) {
      this.flush();
      return;
    }
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    if (this.disposed) return;
    for (const f of this.folders.values()) {
      if (f.pending.length === 0 || f.state.level === null) continue;
      f.state = { ...f.state, level: applyEvents(f.state.level, f.pending) };
      f.pending = [];
    }
    this.pendingCount = 0;
    this.onChange();
  }
}
