import { EventEmitter } from 'node:events';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { createLogger } from '../logger';
import { httpLogOptions } from './http-logger.module';

/** One request through pino-http with httpLogOptions, on fakes of Node's request and response. */
function logRequest(
  request: { method: string; url: string; headers: Record<string, string> },
  status: number,
) {
  const lines: string[] = [];
  const logger = createLogger('test', {
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const req = Object.assign(new EventEmitter(), request, { socket: { remoteAddress: '127.0.0.1' } });
  const res = Object.assign(new EventEmitter(), {
    statusCode: status,
    headersSent: true,
    writableEnded: true,
    getHeaders: () => ({}),
  });
  pinoHttp(httpLogOptions(logger))(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  res.emit('finish');
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the HTTP request log', () => {
  it("writes one line per request with the caller's correlation id, method, path and status", () => {
    const [line, ...more] = logRequest(
      { method: 'POST', url: '/v1/sync', headers: { 'x-correlation-id': 'corr-42' } },
      200,
    );
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      service: 'test',
      level: 30,
      correlationId: 'corr-42',
      req: { method: 'POST', path: '/v1/sync', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
  });

  it('makes up a correlation id when the caller gave none or a malformed one', () => {
    const [line] = logRequest(
      { method: 'GET', url: '/v1/policy', headers: { 'x-correlation-id': '../x' } },
      200,
    );
    expect(line?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs headers, bodies or query strings', () => {
    const [line] = logRequest(
      {
        method: 'GET',
        url: '/v1/events?token=query-secret',
        headers: { authorization: 'Bearer header-secret', cookie: 'cookie-secret' },
      },
      401,
    );
    expect(line).toMatchObject({ level: 40, req: { path: '/v1/events' }, res: { statusCode: 401 } });
    for (const secret of ['query-secret', 'header-secret', 'cookie-secret']) {
      expect(JSON.stringify(line)).not.toContain(secret);
    }
  });

  it('keeps probes and scrapes at debug level', () => {
    expect(logRequest({ method: 'GET', url: '/health/ready', headers: {} }, 200)[0]?.level).toBe(20);
    expect(logRequest({ method: 'GET', url: '/metrics', headers: {} }, 200)[0]?.level).toBe(20);
  });
});
