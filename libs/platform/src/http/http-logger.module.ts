import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type Options } from 'pino-http';
import { type Logger } from '../logger';
import { correlationIdOf } from './correlation';

/** Polled by probes and scrapers every few seconds: kept at debug so they do not drown the requests that matter. */
const ROUTINE_PATHS = /^\/(health\/|metrics$)/;

function pathOf(url: string | undefined): string {
  // The query string is left out: whatever a client put there (even a token by mistake) stays out of the logs.
  return (url ?? '/').split('?', 1)[0] ?? '/';
}

/** Express keeps the URL as received in originalUrl (a mounted middleware sees `url` shortened). */
function receivedUrl(request: IncomingMessage): string | undefined {
  return (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url;
}

/**
 * pino-http options for a service's HTTP requests: one line per request, written by the service's own pino logger
 * (same level, service name and redaction), with the request's correlationId (the caller's X-Correlation-Id or a
 * fresh one) as a top-level field. The request is logged as method and path only, the response as its status: no
 * headers (Authorization), no bodies, no query strings.
 */
export function httpLogOptions(logger: Logger): Options {
  return {
    logger,
    genReqId: (request) => correlationIdOf(request),
    // The request's own logger (nestjs-pino's context) binds the id under the name every other line uses.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'correlationId' },
    serializers: {
      req: (request: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: request.method,
        path: pathOf(request.url),
        remoteAddress: request.remoteAddress,
      }),
      res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
    },
    customLogLevel: (request: IncomingMessage, response: ServerResponse, error?: Error) => {
      if (error || response.statusCode >= 500) return 'error';
      if (response.statusCode >= 400) return 'warn';
      return ROUTINE_PATHS.test(pathOf(receivedUrl(request))) ? 'debug' : 'info';
    },
  };
}

/** nestjs-pino's LoggerModule with httpLogOptions: import it in an HTTP app's root module. */
export function httpLoggerModule(logger: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: httpLogOptions(logger) });
}
