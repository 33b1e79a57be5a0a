// Turns any failure into one message a person can act on: which endpoints were tried, which
// revision is still available, what the flag allows. KiteErrors keep their code (shown in
// brackets) so scripts can still match on it.
import { KiteError } from '@kite/protocol';
import { CliError, UsageError } from './errors.js';

export interface ErrorContext {
  readonly endpoints?: readonly string[];
  /** The revision the command asked for (for Compacted/FutureRevision messages). */
  readonly revision?: number;
}

export function describeError(err: unknown, ctx: ErrorContext = {}): string {
  if (err instanceof UsageError || err instanceof CliError) return err.message;
  if (err instanceof KiteError) return describeKiteError(err, ctx);
  if (err instanceof Error) return err.message;
  return String(err);
}

function tried(ctx: ErrorContext): string {
  const eps = ctx.endpoints ?? [];
  return eps.length === 0 ? 'the cluster' : eps.length === 1 ? eps[0]! : `any of ${eps.join(', ')}`;
}

/** A short cause for a connection failure, from the innermost message we can find. */
function connectReason(err: KiteError): string {
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`;
  if (text.includes('ECONNREFUSED')) return 'connection refused';
  if (text.includes('ENOTFOUND') || text.includes('EAI_AGAIN')) return 'host not found';
  if (text.includes('ECONNRESET') || text.includes('socket closed')) return 'connection lost';
  if (/handshake|ETIMEDOUT/.test(text)) return 'no answer (timed out connecting)';
  return err.message;
}

/** An Unavailable that comes from the link (no member reached), not from a member's reply. */
function isConnectionFailure(err: KiteError): boolean {
  return /no endpoint reachable|cannot connect|link to \S+ (lost|is)|socket|ECONN|outcome unknown/.test(err.message);
}

/** A Timeout whose last attempt never reached a member is really "unreachable". */
function neverConnected(err: KiteError): boolean {
  const cause = err.cause;
  return cause instanceof KiteError && cause.code === 'Unavailable' && /no endpoint reachable|cannot connect/.test(cause.message);
}

function describeKiteError(err: KiteError, ctx: ErrorContext): string {
  const d = err.details;
  if (err.code === 'Timeout' && neverConnected(err)) {
    return `cannot reach ${tried(ctx)} (${connectReason(err)}). Is the cluster running? ` +
      `Start a local one with 'kite cluster up', or point --endpoints / KITE_ENDPOINTS at yours.`;
  }
  const asked = ctx.revision !== undefined && ctx.revision > 0 ? `revision ${ctx.revision}` : 'the requested revision';
  switch (err.code) {
    case 'Unavailable':
      if (!isConnectionFailure(err)) {
        // The member answered: it is up but cannot serve this now (no leader, learner behind...).
        return `${err.message} [Unavailable]; the cluster is up but cannot do this right now — retry shortly` +
          (err.indeterminate ? '. The write may or may not have been applied.' : '');
      }
      return `cannot reach ${tried(ctx)} (${connectReason(err)}). Is the cluster running and a majority of members up? ` +
        `Start a local one with 'kite cluster up', or point --endpoints / KITE_ENDPOINTS at yours.` +
        (err.indeterminate ? ' The write may or may not have been applied.' : '');
    case 'Timeout':
      return `timed out talking to ${tried(ctx)} (${err.message}); the cluster may have lost its majority or be overloaded.` +
        (err.indeterminate ? ' The write may or may not have been applied.' : '');
    case 'Compacted':
      return typeof d.compactRevision === 'number'
        ? `${asked} has been compacted; the oldest revision still available is ${d.compactRevision} [Compacted]`
        : `${asked} has been compacted [Compacted]: ${err.message}`;
    case 'FutureRevision':
      return typeof d.currentRevision === 'number'
        ? `${asked} is in the future; the current revision is ${d.currentRevision} [FutureRevision]`
        : `${asked} is in the future [FutureRevision]: ${err.message}`;
    case 'LeaseNotFound':
      return `lease ${typeof d.lease === 'number' ? d.lease.toString(16) : ''} not found: it expired or was revoked [LeaseNotFound]`.replace('lease  ', 'lease ');
    case 'RequestTooLarge':
      return `request too large: ${d.actualBytes ?? '?'} bytes, the limit is ${d.limitBytes ?? '?'} [RequestTooLarge]`;
    case 'TooManyOps':
      return `too many operations in one txn; the limit is ${d.limit ?? '?'} [TooManyOps]`;
    case 'NoSpace':
      return `the cluster is out of space (backend quota alarm); free space ('kite compact REV', then 'kite defrag') and 'kite alarm disarm', or raise the quota [NoSpace]`;
    case 'WrongCluster':
      return `the endpoints belong to different clusters (expected ${d.expectedClusterId ?? '?'}, got ${d.actualClusterId ?? '?'}) [WrongCluster]`;
    case 'Canceled':
      return 'canceled';
    default:
      return `${err.message} [${err.code}]`;
  }
}
