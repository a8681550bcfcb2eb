import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { httpStatusOf, isErrorCode, RoamingError, type ErrorCode, type Problem } from '@credroam/roaming';
import { type Request, type Response } from 'express';
import { correlationIdOf, CORRELATION_HEADER } from './correlation';

/** What the filter logs: a failure of the service (5xx) and a stream cut short. */
export interface ProblemLog {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The framework's own refusals (an unknown route, a body it could not read, …) as credroam's codes. */
const HTTP_STATUS_CODES: Readonly<Record<number, { code: ErrorCode; message: string }>> = {
  401: { code: 'UNAUTHENTICATED', message: 'authentication is required' },
  403: { code: 'FORBIDDEN', message: 'not allowed' },
  404: { code: 'NOT_FOUND', message: 'no such resource' },
  405: { code: 'NOT_FOUND', message: 'no such resource' },
  408: { code: 'TIMEOUT', message: 'request timeout' },
  413: { code: 'VALUE_TOO_LARGE', message: 'the request body is too large' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported media type' },
  429: { code: 'RATE_LIMITED', message: 'too many requests' },
};

/**
 * Any failure as a RoamingError: a RoamingError (even from another copy of the library) as it is, Nest's HTTP
 * exceptions by their status (their messages name routes and parsers, so the catalogue's own message is used), and
 * anything else as INTERNAL, whose details never leave the service.
 */
export function toRoamingError(exception: unknown): RoamingError {
  if (exception instanceof RoamingError) return exception;
  const code = (exception as { code?: unknown } | null)?.code;
  if (exception instanceof Error && exception.name === 'RoamingError' && isErrorCode(code)) {
    return new RoamingError(code, exception.message, (exception as RoamingError).details);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const known = HTTP_STATUS_CODES[status];
    if (known) return new RoamingError(known.code, known.message);
    if (status < 500) return new RoamingError('INVALID_INPUT', 'the request is not valid');
  }
  return new RoamingError('INTERNAL', 'internal error');
}

/**
 * Every refusal of every credroam HTTP API in one format, the agent protocol's problem body: `{ error: { code,
 * message, retryable, … }, correlationId }` with the status of httpStatusOf(code), the correlation id also in
 * X-Correlation-Id, Retry-After when the error names one and WWW-Authenticate on a 401. A failure after the headers
 * left (a stream: export, SSE, a long poll) can only cut the connection.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly log: ProblemLog,
    /** The WWW-Authenticate challenge of a 401, by request when routes authenticate differently. */
    private readonly challenge: string | ((request: Request) => string) = 'Bearer realm="credroam"',
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const correlationId = correlationIdOf(request);
    if (response.headersSent) {
      this.log.warn(
        { correlationId, path: request.path, err: (exception as Error | null)?.message },
        'stream ended by an error',
      );
      response.destroy();
      return;
    }
    const error = toRoamingError(exception);
    const status = httpStatusOf(error.code);
    if (status >= 500) {
      const cause = exception instanceof RoamingError ? undefined : (exception as Error | null);
      this.log.error(
        {
          correlationId,
          code: error.code,
          err: error.message,
          errorName: cause?.name,
          cause: cause?.message,
        },
        'request failed',
      );
    }
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    if (status === 401)
      response.setHeader(
        'WWW-Authenticate',
        typeof this.challenge === 'string' ? this.challenge : this.challenge(request),
      );
    const body: Problem = { error: error.toInfo(), correlationId };
    response.setHeader(CORRELATION_HEADER, correlationId);
    response.status(status).json(body);
  }
}
