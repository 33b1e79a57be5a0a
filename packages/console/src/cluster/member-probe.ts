// Liveness and status of one member: a client of its own linked to that member only (no move
// to the leader), asked for `status` once per PROBE_INTERVAL_MS. A link that drops (the member's
// process died, its socket closed) marks the member down at once; a member that hangs is down
// when a probe gets no answer within PROBE_TIMEOUT_MS. So a dead member shows as down within
// PROBE_INTERVAL_MS + PROBE_TIMEOUT_MS at worst (< 2 s), and up again at the first answer.
import { createClient, type KiteClient, type StatusResult } from '@kite/client/browser';
import { errorText } from '../error-text.js';

/** Status is asked this often; also the interval of the member list refresh. */
export const PROBE_INTERVAL_MS = 1_000;
/** A probe unanswered for this long counts as the member being down. */
export const PROBE_TIMEOUT_MS = 800;

export type ProbeResult =
  | { readonly up: true; readonly status: StatusResult; readonly memberId: string; readonly atMs: number }
  | { readonly up: false; readonly error: string; readonly atMs: number };

export class MemberProbe {
  private readonly client: KiteClient;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private closed = false;

  constructor(readonly endpoint: string, private readonly onResult: (r: ProbeResult) => void) {
    this.client = createClient({
      endpoints: [endpoint],
      preferLeader: false,
      retries: 0,
      timeoutMs: PROBE_TIMEOUT_MS,
      dialTimeoutMs: PROBE_TIMEOUT_MS,
    });
    this.client.on('disconnect', ({ reason }) => {
      if (!this.closed) this.onResult({ up: false, error: `link lost: ${reason}`, atMs: performance.now() });
    });
  }

  start(): void {
    void this.probe();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.client.close();
  }

  private async probe(): Promise<void> {
    if (this.closed || this.running) return;
    this.running = true;
    const startedMs = performance.now();
    try {
      const status = await this.client.status();
      if (!this.closed) this.onResult({ up: true, status, memberId: status.header.memberId, atMs: performance.now() });
    } catch (err) {
      if (!this.closed) this.onResult({ up: false, error: errorText(err), atMs: performance.now() });
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    // Fixed rate: the next probe starts PROBE_INTERVAL_MS after this one started.
    const waitMs = Math.max(0, PROBE_INTERVAL_MS - (performance.now() - startedMs));
    this.timer = setTimeout(() => void this.probe(), waitMs);
  }
}
