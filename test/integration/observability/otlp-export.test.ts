import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');

// The built library in a plain Node process: the OTLP exporter loads its transport with a dynamic import, which
// Jest's module sandbox does not allow.
const SCRIPT = `
const { requireFromDist } = require(${JSON.stringify(join(ROOT, 'scripts', 'lib', 'run-service.cjs'))});
const { startTracing, stopTracing, tracer } = requireFromDist('libs/observability/src/index.js');
const tracing = startTracing('otlp-test');
tracer().startSpan('exported').end();
stopTracing().then(() => console.log(tracing.exporting));
`;

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports finished spans over OTLP/HTTP to the configured collector', async () => {
    const received: { path: string | undefined; type: string | undefined; bytes: number }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ path: request.url, type: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT], {
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      });
      expect(stdout.trim()).toBe(`otlp ${endpoint}`);
      expect(received).toEqual([{ path: '/v1/traces', type: 'application/json', bytes: expect.any(Number) }]);
      expect(received[0]!.bytes).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  }, 30_000);
});
