// The etcd services' one way into the member: build a Kite request, check it as the
// WebSocket door does (its size as the frame the WebSocket door would have had to accept,
// then validate.ts), and hand it to OpServer.serve with the call's session,
// the one authorization point. An error reply becomes a thrown KiteError naming the op, so
// the door can give etcd's status for it (etcd-errors.ts).

import { encodeFrame, validateRequest, type OkReply, type OpArgs, type OpName, type Request } from '@kite/protocol';
import type { EtcdCallContext } from './etcd-context.js';
import { kiteErrorOf } from './etcd-errors.js';
import type { EtcdServiceDeps } from './handlers.js';

export async function serveOp<O extends OpName>(deps: EtcdServiceDeps, ctx: EtcdCallContext, op: O, args: OpArgs<O>): Promise<OkReply<O>> {
  const req = { ...args, id: 0, op } as unknown as Request<O>;
  try {
    // A request over --max-request-bytes is refused here, before anything is forwarded or
    // proposed (etcd refuses it on the member that received it, too).
    encodeFrame(req, deps.config.maxRequestBytes);
    validateRequest(req, deps.config);
  } catch (err) {
    throw withOp(err, op);
  }
  const reply = await deps.ops.serve(req, ctx.session, ctx.charge);
  if (!reply.ok) throw kiteErrorOf(reply.error, op);
  return reply as OkReply<O>;
}

function withOp(err: unknown, op: string): unknown {
  if (err instanceof Error && 'code' in err && 'details' in err) {
    const e = err as Error & { code: Parameters<typeof kiteErrorOf>[0]['code']; details: Record<string, unknown> };
    return kiteErrorOf({ code: e.code, message: e.message, ...e.details }, op);
  }
  return err;
}
