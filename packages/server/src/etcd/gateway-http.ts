// How the JSON gateway judges and writes errors, the way etcd's grpc-gateway does: a failed unary call is
// an HTTP status chosen by its gRPC code and a body {"error", "code", "message"}; an error in a
// stream is one more line {"error": {"grpc_code", "http_code", "message", "http_status"}} after
// the {"result": ...} lines already sent.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { ETCD_MESSAGES, etcdStatus, type EtcdStatus } from './etcd-errors.js';
import { GatewayInputError } from './gateway-json.js';

/** A request body past the gateway's bound (answered with etcd's "request is too large"). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** A status for anything a gateway call can fail with: bad input is the caller's, the rest etcd's. */
export function gatewayStatus(err: unknown): EtcdStatus {
  if (err instanceof GatewayInputError) return { code: status.INVALID_ARGUMENT, message: err.message };
  if (err instanceof SyntaxError) return { code: status.INVALID_ARGUMENT, message: `invalid JSON: ${err.message}` };
  if (err instanceof BodyTooLargeError) return { code: status.INVALID_ARGUMENT, message: ETCD_MESSAGES.requestTooLarge };
  return etcdStatus(err);
}

/** grpc-gateway's HTTP status for each gRPC code. */
const HTTP_STATUS_OF_CODE: Readonly<Record<number, number>> = {
  [status.OK]: 200,
  [status.CANCELLED]: 408,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

export function httpStatusOf(code: status): number {
  return HTTP_STATUS_OF_CODE[code] ?? 500;
}

/** A whole JSON response (unary success or error). */
export function writeJson(res: ServerResponse, httpStatus: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

/** A failed unary call (or a refused request) as grpc-gateway answers it. */
export function writeError(res: ServerResponse, s: EtcdStatus, httpStatus = httpStatusOf(s.code), headers: Readonly<Record<string, string>> = {}): void {
  writeJson(res, httpStatus, { error: s.message, code: s.code, message: s.message }, headers);
}

/** The line a stream ends with when it fails. */
export function streamErrorLine(s: EtcdStatus): string {
  const httpCode = httpStatusOf(s.code);
  return JSON.stringify({ error: { grpc_code: s.code, http_code: httpCode, message: s.message, http_status: STATUS_CODES[httpCode] ?? '' } }) + '\n';
}
