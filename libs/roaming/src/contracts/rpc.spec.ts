import { parseWith } from '../validation/parse';
import {
  isRpcPattern,
  parseRpcReply,
  parseRpcRequest,
  RPC_CONTRACTS,
  RPC_PATTERN_LIST,
  RPC_PATTERNS,
  RPC_QUEUES,
  type RpcPattern,
} from './rpc';
import { CORRELATION_ID, directoryToken, KEY_CONTAINER_ID, SEALED } from './testing/contract-examples';
import { RPC_EXAMPLES } from './testing/rpc-examples';

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function request<P extends RpcPattern>(
  pattern: P,
): { correlationId: string; payload: Record<string, unknown> } {
  return {
    correlationId: CORRELATION_ID,
    payload: clone(RPC_EXAMPLES[pattern].request) as Record<string, unknown>,
  };
}

function expectRequestRefused(pattern: RpcPattern, payload: unknown, code = 'CONTRACT_VIOLATION'): void {
  const parsed = parseRpcRequest(pattern, { correlationId: CORRELATION_ID, payload });
  expect(parsed).toMatchObject({ ok: false, error: { code } });
}

describe('RPC registry', () => {
  it('registers every pattern under the service whose queue serves it', () => {
    expect(RPC_PATTERN_LIST).toEqual(Object.values(RPC_PATTERNS));
    for (const pattern of RPC_PATTERN_LIST) {
      const { service } = RPC_CONTRACTS[pattern];
      expect(RPC_QUEUES[service]).toBeDefined();
      expect(pattern.startsWith(service === 'directory-gateway' ? 'directory.' : 'crypto.')).toBe(true);
    }
  });

  it('recognises registered patterns only', () => {
    expect(isRpcPattern('directory.read-state')).toBe(true);
    expect(isRpcPattern('directory.drop-user')).toBe(false);
    expect(parseRpcRequest('directory.drop-user' as RpcPattern, {})).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
  });

  it.each(RPC_PATTERN_LIST.map((pattern) => [pattern]))(
    'accepts a realistic %s request and reply after a trip through JSON',
    (pattern) => {
      const example = RPC_EXAMPLES[pattern];
      expect(
        parseRpcRequest(pattern, clone({ correlationId: CORRELATION_ID, payload: example.request })),
      ).toEqual({
        ok: true,
        value: { correlationId: CORRELATION_ID, payload: example.request },
      });
      expect(parseRpcReply(pattern, clone({ ok: true, value: example.response }))).toEqual({
        ok: true,
        value: example.response,
      });
    },
  );
});

describe('RPC wrappers', () => {
  it('turns a well-formed error reply into the failed Result it encodes', () => {
    const error = { code: 'DIRECTORY_STAMP_CHANGED', message: 'stamp changed', retryable: true };
    expect(parseRpcReply('directory.apply-changes', { ok: false, error })).toEqual({ ok: false, error });
  });

  it.each([
    [
      'a reply with both value and error',
      { ok: true, value: { stamp: 'AAAAAAAAAAAAAAAAAAAAAA==', createdAt: 0 }, error: {} },
    ],
    ['an error with an unknown code', { ok: false, error: { code: 'OOPS', message: '', retryable: false } }],
    ['an error without retryable', { ok: false, error: { code: 'INTERNAL', message: 'x' } }],
    ['a reply without ok', { value: { stamp: 'AAAAAAAAAAAAAAAAAAAAAA==', createdAt: 0 } }],
    ['a stamp of the wrong length', { ok: true, value: { stamp: 'AAAA', createdAt: 0 } }],
  ])('refuses %s as a contract violation', (_label, reply) => {
    expect(parseRpcReply('directory.apply-changes', reply)).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
  });

  it('refuses a request without a correlation id or with an unknown field beside the payload', () => {
    const { payload } = request('directory.lookup-user');
    expect(parseRpcRequest('directory.lookup-user', { payload }).ok).toBe(false);
    expect(
      parseRpcRequest('directory.lookup-user', { ...request('directory.lookup-user'), password: 'x' }).ok,
    ).toBe(false);
  });
});

describe('directory-gateway contracts', () => {
  it('refuses a clear password where only a sealed one may travel', () => {
    expectRequestRefused('directory.verify-password', { login: 'alice', password: 'alice-pass' });
  });

  it('refuses a login that could forge a log line', () => {
    expectRequestRefused('directory.lookup-user', { login: 'alice\r\nadmin' });
  });

  it('refuses a user whose stable id is not a lower-case UUID', () => {
    const reply = clone({ ok: true, value: RPC_EXAMPLES['directory.lookup-user'].response });
    reply.value.user.stableId = reply.value.user.stableId.toUpperCase();
    expect(parseRpcReply('directory.lookup-user', reply).ok).toBe(false);
  });

  it('refuses an addition whose token id breaks its whitelist, as INVALID_TOKEN_ID', () => {
    const { payload } = request('directory.apply-changes');
    const add = payload.add as { token: { type: string; id: string } }[];
    add[0]!.token.type = 'private-key';
    add[0]!.token.id = '../../etc/passwd';
    expectRequestRefused('directory.apply-changes', payload, 'INVALID_TOKEN_ID');
  });

  it('refuses a live addition without content and a tombstone with content', () => {
    const live = { token: directoryToken(), keyVersion: null, sealed: null };
    const tombstone = { token: directoryToken(true), keyVersion: 3, sealed: SEALED };
    for (const addition of [live, tombstone]) {
      expectRequestRefused('directory.apply-changes', {
        ...request('directory.apply-changes').payload,
        add: [addition],
      });
    }
  });

  it('refuses a change set that adds one key twice or removes one value twice', () => {
    const { payload } = request('directory.apply-changes');
    const add = payload.add as unknown[];
    expectRequestRefused('directory.apply-changes', { ...payload, add: [add[0], add[0]] });
    expectRequestRefused('directory.apply-changes', { ...payload, remove: ['v1:1', 'v1:1'] });
  });

  it('refuses an effective policy that misses a knob or names an unknown source', () => {
    const policy = clone(RPC_EXAMPLES['directory.resolve-policy'].response);
    const partial: Partial<typeof policy.sources> = clone(policy.sources);
    delete partial.maxTokens;
    expect(
      parseRpcReply('directory.resolve-policy', { ok: true, value: { ...policy, sources: partial } }).ok,
    ).toBe(false);
    const unknown = { ...policy, sources: { ...policy.sources, maxTokens: 'gpo:Default Domain Policy' } };
    expect(parseRpcReply('directory.resolve-policy', { ok: true, value: unknown }).ok).toBe(false);
  });
});

describe('token-crypto contracts', () => {
  it('refuses plaintext content smuggled beside an upload envelope', () => {
    const { payload } = request('crypto.seal-for-storage');
    (payload.items as Record<string, unknown>[])[0]!.content = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    expectRequestRefused('crypto.seal-for-storage', payload);
  });

  it('refuses a tombstone sent for sealing to a device, since it has no content', () => {
    const { payload } = request('crypto.seal-for-device');
    (payload.items as { token: { tombstone: boolean } }[])[0]!.token.tombstone = true;
    expectRequestRefused('crypto.seal-for-device', payload);
  });

  it('refuses a public key beyond 64 KiB without reading it all', () => {
    const { payload } = request('crypto.seal-for-device');
    expectRequestRefused('crypto.seal-for-device', { ...payload, devicePublicKey: 'A'.repeat(200_000) });
  });

  it('refuses a sealed value over 1.5 MiB', () => {
    const { payload } = request('crypto.reseal');
    const items = payload.items as { sealed: string }[];
    items[0]!.sealed = Buffer.alloc(1.5 * 1024 * 1024 + 1).toString('base64');
    expectRequestRefused('crypto.reseal', payload);
  });

  it('accepts a per-item failure next to successes', () => {
    const reply = {
      ok: true,
      value: {
        items: [
          RPC_EXAMPLES['crypto.seal-for-storage'].response.items[0],
          {
            type: 'private-key',
            id: KEY_CONTAINER_ID,
            ok: false,
            error: { code: 'KEY_MISMATCH', message: 'key does not match', retryable: false },
          },
        ],
      },
    };
    expect(parseRpcReply('crypto.seal-for-storage', reply).ok).toBe(true);
  });

  it('refuses a successful item that carries no sealed value', () => {
    const item = { type: 'private-key', id: KEY_CONTAINER_ID, ok: true, keyVersion: 1 };
    expect(parseRpcReply('crypto.seal-for-storage', { ok: true, value: { items: [item] } }).ok).toBe(false);
  });

  it('refuses an inspection description of an unknown kind', () => {
    const description = { ...RPC_EXAMPLES['crypto.inspect'].response, kind: 'ssh-key' };
    expect(parseWith(RPC_CONTRACTS['crypto.inspect'].response, description).ok).toBe(false);
  });
});
