import { randomUUID } from 'node:crypto';
import { RPC_PATTERNS } from '@credroam/roaming';
import { admitRpcRequest } from './rpc-admission';

const serves = (pattern: string) => pattern.startsWith('directory.');
const request = (packet: unknown, contentType?: string) => ({
  content: Buffer.from(JSON.stringify(packet)),
  properties: { contentType },
});
const lookup = (data: unknown) => ({ pattern: RPC_PATTERNS.lookupUser, id: randomUUID(), data });

describe('admitRpcRequest', () => {
  it('admits a request of a pattern the service serves that meets its contract', () => {
    const data = { correlationId: randomUUID(), payload: { login: 'alice' } };
    expect(admitRpcRequest(request(lookup(data)), 4096, serves)).toEqual({ ok: true });
  });

  it('refuses poison as the message admission does (size, media type, JSON)', () => {
    const data = { correlationId: randomUUID(), payload: { login: 'alice' } };
    expect(admitRpcRequest(request(lookup(data)), 64, serves)).toMatchObject({
      ok: false,
      refusal: { reason: 'too-large' },
    });
    expect(admitRpcRequest(request(lookup(data), 'text/plain'), 4096, serves)).toMatchObject({
      ok: false,
      refusal: { reason: 'unsupported-content-type' },
    });
    expect(
      admitRpcRequest({ content: Buffer.from('{"pattern":'), properties: {} }, 4096, serves),
    ).toMatchObject({ ok: false, refusal: { reason: 'not-json' } });
  });

  it('refuses JSON that is not a Nest request packet: no pattern, or no id (an event has no place here)', () => {
    for (const packet of [{ hello: 'world' }, [1, 2], { pattern: RPC_PATTERNS.lookupUser, data: {} }]) {
      expect(admitRpcRequest(request(packet), 4096, serves)).toMatchObject({
        ok: false,
        refusal: {
          reason: 'invalid-message',
          errorCode: 'CONTRACT_VIOLATION',
          problem: 'not an RPC request',
        },
      });
    }
  });

  it('refuses a pattern this service does not serve, or no service does, without repeating it', () => {
    const data = { correlationId: randomUUID(), payload: {} };
    for (const pattern of [RPC_PATTERNS.transportCertificate, 'directory.drop-everything']) {
      const admission = admitRpcRequest(request({ pattern, id: randomUUID(), data }), 4096, serves);
      expect(admission).toMatchObject({ ok: false, refusal: { reason: 'invalid-message' } });
      expect(JSON.stringify(admission)).not.toContain('drop-everything');
    }
  });

  it('refuses a request off its contract, keeping the data for its correlation id', () => {
    const data = { correlationId: randomUUID(), payload: { login: 'alice', extra: true } };
    const admission = admitRpcRequest(request(lookup(data)), 4096, serves);
    expect(admission).toMatchObject({
      ok: false,
      refusal: { reason: 'invalid-message', errorCode: 'CONTRACT_VIOLATION' },
      data,
    });
  });
});
