import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import { type Duplex } from 'node:stream';
import { RoamingError, type ErrorCode, type Problem } from '@credroam/roaming';
import { CORRELATION_HEADER } from './correlation';

export interface EdgeTimeouts {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included; a long poll's answer does not count. */
  requestTimeoutMs: number;
  /**
   * How long an idle connection is kept for the client's next request. A client's pool gives a connection up on its
   * own timer, set from the server's `Keep-Alive: timeout` hint less a second (undici, Node's fetch); a client
   * whose event loop is late by more than that second sends its next request on a connection the server has just
   * closed and gets "other side closed". The longer the keep-alive, the rarer an idle gap that reaches it.
   */
  keepAliveTimeoutMs: number;
}

/**
 * The deadlines of a listener that reads no body of size (audit's query API, the health and metrics listeners): ten
 * seconds for the headers and the whole request. An SSE stream or an export is a response, and responses are not
 * bounded by them.
 */
export const BODYLESS_EDGE_TIMEOUTS: Readonly<EdgeTimeouts> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
});

/** The protocol errors Node's HTTP parser answers itself, with the status and the code credroam gives them. */
const CLIENT_ERRORS: Readonly<Record<string, { status: number; reason: string; code: ErrorCode }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'VALUE_TOO_LARGE',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'TIMEOUT' },
};
const BAD_REQUEST = { status: 400, reason: 'Bad Request', code: 'INVALID_INPUT' as const };

/**
 * What every credroam HTTP listener does below the framework: a slow or stalled client is dropped within seconds
 * (Node checks the deadlines every second instead of every 30), and the requests Node's parser refuses before any
 * handler sees them (oversized headers, a stalled upload, Content-Length with Transfer-Encoding, malformed) are
 * answered with the same problem body and correlation id as every other refusal, not an empty 400.
 */
export function hardenHttpServer(server: Server, timeouts: EdgeTimeouts): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // Read when the server starts listening; missing from this @types/node, present in Node 18.12+.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      // A response is already under way on this connection: nothing coherent can be added.
      socket.destroy();
      return;
    }
    const refusal = (error.code && CLIENT_ERRORS[error.code]) || BAD_REQUEST;
    const correlationId = randomUUID();
    const message =
      refusal === BAD_REQUEST ? 'the request is not valid HTTP/1.1' : `${refusal.reason.toLowerCase()}`;
    const body: Problem = { error: new RoamingError(refusal.code, message).toInfo(), correlationId };
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        `${CORRELATION_HEADER}: ${correlationId}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    );
  });
}
