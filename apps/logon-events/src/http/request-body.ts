import { Injectable, type NestMiddleware } from '@nestjs/common';
import { RoamingError } from '@credroam/roaming';
import { json } from 'express';
import { type NextFunction, type Request, type Response } from 'express';
import { bearerToken } from '../agent/agent.service';
import { SessionsService } from '../sessions/sessions.service';

type Middleware = (request: Request, response: Response, next: NextFunction) => void;

/**
 * A JSON body of at most `limit` bytes. Compressed bodies are refused (415) rather than inflated: agents do not
 * compress, and a small gzip body can inflate to the whole limit. Another media type is refused (415) instead of
 * being read as no body at all.
 */
export function jsonBody(limit: number): Middleware {
  const parse = json({ limit, inflate: false, strict: true });
  return (request, response, next) => {
    if (request.is('application/json') === false) {
      next(new RoamingError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json'));
      return;
    }
    // A compressed body, or one announced over the limit, is answered at once, before a byte of it is read (body-
    // parser would read it all first). Node then discards what the client still sends, within the request timeout;
    // closing the connection instead would cut off a client still writing before it could read the answer (EPIPE).
    const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      next(new RoamingError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies are not accepted'));
      return;
    }
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      next(new RoamingError('VALUE_TOO_LARGE', 'the request body is too large'));
      return;
    }
    parse(request, response, (error?: unknown) => next(error === undefined ? undefined : bodyError(error)));
  };
}

/**
 * Checks the session token before a body is read, so a caller without one costs a header's worth of work, never
 * the body's. The use-case checks it again (the AMQP ingress has no such gate), at the cost of one HMAC.
 */
@Injectable()
export class SessionGate implements NestMiddleware {
  constructor(private readonly sessions: SessionsService) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    this.sessions.authenticate(bearerToken(request.header('authorization')), 'http');
    next();
  }
}

/** body-parser's refusals (they carry an HTTP status) as the agent protocol's codes. */
function bodyError(error: unknown): RoamingError {
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) return new RoamingError('VALUE_TOO_LARGE', 'the request body is too large');
  if (status === 415) {
    return new RoamingError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies are not accepted');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new RoamingError('INVALID_INPUT', 'the request body is not valid JSON');
  }
  return new RoamingError('INTERNAL', 'the request body could not be read');
}
