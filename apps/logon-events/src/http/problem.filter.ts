import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { AGENT_API_PATHS, httpStatusOf, RoamingError, type Problem } from '@credroam/roaming';
import { correlationIdOf, CORRELATION_HEADER } from '@credroam/platform';
import { type Request, type Response } from 'express';
import { type LogSink } from '../repositories/logon.repositories';

/** Turns every failure into the problem body of the agent protocol, with the status of its code. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: LogSink) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const correlationId = correlationIdOf(request);
    const error = toRoamingError(exception);
    const status = httpStatusOf(error.code);
    if (status >= 500)
      this.log.error({ correlationId, code: error.code, err: error.message }, 'request failed');
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    // A refused Kerberos logon invites another Negotiate (RFC 4559); every other 401 a session token.
    if (status === 401)
      response.setHeader(
        'WWW-Authenticate',
        request.path === AGENT_API_PATHS.kerberosSessions ? 'Negotiate' : 'Bearer realm="credroam"',
      );
    const body: Problem = { error: error.toInfo(), correlationId };
    response.setHeader(CORRELATION_HEADER, correlationId);
    response.status(status).json(body);
  }
}

function toRoamingError(exception: unknown): RoamingError {
  if (exception instanceof RoamingError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new RoamingError('NOT_FOUND', 'no such resource');
    if (status < 500) return new RoamingError('INVALID_INPUT', exception.message);
  }
  return new RoamingError('INTERNAL', 'internal error');
}
