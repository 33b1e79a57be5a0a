// A watcher whose permission is re-checked whenever the auth state changes: the registry
// (AuthService) calls `revoke` when its caller may no longer read the watched range, and the
// link then pushes one `canceled` response with a PermissionDenied reason, exactly as if the
// hub had canceled it. The client SDK treats that reason as permanent (no resume).

import type { LinkWatchResponse, LinkWatcher } from '../client-handler.js';

export class GuardedWatcher implements LinkWatcher {
  private revokedReason: string | null = null;
  private cancelDelivered = false;
  private listener: (() => void) | undefined;

  constructor(
    private readonly inner: LinkWatcher,
    private readonly revisionNow: () => number,
    private readonly onDone: (w: GuardedWatcher) => void,
  ) {}

  onReadable(listener: (() => void) | undefined): void {
    this.listener = listener;
    if (this.revokedReason === null) this.inner.onReadable(listener);
  }

  poll(max?: number): readonly LinkWatchResponse[] {
    if (this.revokedReason === null) return this.inner.poll(max);
    if (this.cancelDelivered) return [];
    this.cancelDelivered = true;
    return [{ kind: 'canceled', revision: this.revisionNow(), cancelReason: this.revokedReason }];
  }

  requestProgress(): void {
    if (this.revokedReason === null) this.inner.requestProgress();
  }

  cancel(): void {
    this.onDone(this);
    this.inner.cancel();
  }

  /** Stops the hub watcher and makes the next poll return the cancel. */
  revoke(reason: string): void {
    if (this.revokedReason !== null) return;
    this.revokedReason = reason;
    this.onDone(this);
    this.inner.onReadable(undefined);
    this.inner.cancel();
    this.listener?.();
  }
}
