import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { errorCodeOf } from '@credroam/messaging';
import { type Logger } from '@credroam/platform';
import { httpStatusOf } from '@credroam/roaming';
import type { Request, Response } from 'express';
import { AUDIT_LOGGER } from '../audit.tokens';

/**
 * Every error leaves as `{ error: { code, message } }`: RoamingErrors with their code and the status of
 * httpStatusOf, Nest's HTTP exceptions (unknown route, …) with theirs, anything else as a logged 500 whose
 * details stay in the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(AUDIT_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    if (response.headersSent) {
      // A stream (export, SSE) failed midway: the status is gone, so cut the stream short.
      this.logger.warn(
        { path: request.path, errorMessage: (exception as Error)?.message },
        'stream ended by an error',
      );
      response.destroy();
      return;
    }
    const code = errorCodeOf(exception);
    if (code) {
      const status = httpStatusOf(code);
      if (status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="credroam-audit"');
      if (status >= 500)
        this.logger.error(
          { path: request.path, code, errorMessage: (exception as Error).message },
          'request failed',
        );
      response.status(status).json({ error: { code, message: (exception as Error).message } });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      response.status(status).json({ error: { code: `HTTP_${status}`, message: exception.message } });
      return;
    }
    this.logger.error(
      {
        path: request.path,
        errorName: (exception as Error)?.name,
        errorMessage: (exception as Error)?.message,
      },
      'unexpected error',
    );
    response.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  }
}
