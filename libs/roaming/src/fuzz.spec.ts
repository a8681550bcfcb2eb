// Fuzzing at scale of libs/roaming's codecs and request validators: whatever bytes or JSON arrive, the answer is a
// value or a typed error (a code of the catalogue, a bounded message), never an exception, and what is encoded
// decodes to itself. CI runs a few hundred cases per target; CREDROAM_FUZZ_RUNS scales every target (see
// testing/fuzz.ts), and the seed printed first replays a run (PROPERTY_SEED).
import fc from 'fast-check';
import { type z } from 'zod';
import {
  decodeCredroamPayload,
  decodeDirectoryValue,
  decodeDnBinary,
  decodeRoamingTimestamp,
  decodeRoamingValue,
  encodeDirectoryToken,
  encodeDnBinary,
  encodeRoamingTimestamp,
  encodeRoamingValue,
  filetimeToMs,
  stampModifiedAt,
} from './codec';
import { directoryTokenInputArb, foreignRecordArb } from './codec/__fixtures__/token-arbitraries';
import {
  createSessionRequestSchema,
  ingressMessageSchema,
  renewSessionRequestSchema,
  RPC_CONTRACTS,
  syncRequestSchema,
  waitForChangeRequestSchema,
  workstationEventRequestSchema,
} from './contracts';
import { RPC_EXAMPLES } from './contracts/testing/rpc-examples';
import { syncRequest, USER_DN } from './contracts/testing/contract-examples';
import { MAX_TIMESTAMP_MS } from './tokens';
import { parseWith } from './validation/parse';
import { FuzzTally, isTyped, mutatedBytes } from './testing/fuzz';

const tally = new FuzzTally('roaming fuzz');
afterAll(() => tally.report());

/** Real encoded values, the seeds of the mutations. */
const seeds: Buffer[] = fc
  .sample(directoryTokenInputArb, { numRuns: 24, seed: 1 })
  .map((input) => encodeDirectoryToken(input))
  .flatMap((encoded) => (encoded.ok ? [encoded.value] : []));

const noThrow =
  <T>(decode: (input: T) => { ok: boolean }) =>
  (input: T): boolean => {
    const result = decode(input) as Parameters<typeof isTyped>[0];
    return isTyped(result);
  };

describe('codecs fuzzed', () => {
  const garbage = mutatedBytes(seeds);
  it.each([
    ['decodeRoamingValue', noThrow(decodeRoamingValue)],
    ['decodeDirectoryValue', noThrow(decodeDirectoryValue)],
    ['decodeCredroamPayload', noThrow((bytes: Buffer) => decodeCredroamPayload(bytes.subarray(132)))],
    ['decodeRoamingTimestamp', noThrow((bytes: Buffer) => decodeRoamingTimestamp(bytes.subarray(0, 20)))],
  ])('%s answers garbage with a value or a typed error', (name, decode) => {
    tally.check(name, fc.property(garbage, decode), 1_000);
  });

  it('decodeDnBinary and stampModifiedAt answer any text with a value, a typed error or null', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .tuple(fc.nat({ max: 400 }), fc.uint8Array({ maxLength: 60 }), fc.string({ maxLength: 80 }))
        .map(([count, bytes, dn]) => `B:${count}:${Buffer.from(bytes).toString('hex')}:${dn}`),
    );
    tally.check(
      'decodeDnBinary',
      fc.property(text, (value) => isTyped(decodeDnBinary(value, USER_DN)) && isTyped(decodeDnBinary(value))),
      1_000,
    );
    tally.check(
      'stampModifiedAt',
      fc.property(fc.oneof(fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 40 })), (stamp) => {
        const modified = stampModifiedAt(stamp);
        return modified === null || !Number.isNaN(Date.parse(modified));
      }),
      500,
    );
    tally.check(
      'filetimeToMs',
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (filetime) =>
        isTyped(filetimeToMs(filetime)),
      ),
      500,
    );
  });

  it('decode(encode(x)) = x for directory tokens, Windows records, DN-binary and stamps', () => {
    tally.check(
      'directory token round trip',
      fc.property(directoryTokenInputArb, (input) => {
        const bytes = encodeDirectoryToken(input);
        if (!bytes.ok) return false;
        const decoded = decodeDirectoryValue(bytes.value);
        return (
          decoded.ok &&
          decoded.value.kind === 'token' &&
          JSON.stringify(decoded.value.token) === JSON.stringify(input.token) &&
          decoded.value.keyVersion === input.keyVersion &&
          decoded.value.sealed.equals(input.sealed)
        );
      }),
      400,
    );
    tally.check(
      'Windows record round trip',
      fc.property(foreignRecordArb, (record) => {
        const bytes = encodeRoamingValue(record);
        if (!bytes.ok) return false;
        const decoded = decodeRoamingValue(bytes.value);
        return (
          decoded.ok &&
          decoded.value.typeDigit === record.typeDigit &&
          decoded.value.identifier === record.identifier &&
          decoded.value.filetime === record.filetime &&
          decoded.value.rawFlags === record.rawFlags &&
          Buffer.from(record.data).equals(decoded.value.data)
        );
      }),
      1_000,
    );
    tally.check(
      'DN-binary round trip',
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(USER_DN, 'cn=x\\,y,dc=test'),
        (bytes, dn) => {
          const decoded = decodeDnBinary(encodeDnBinary(bytes, dn), dn);
          return decoded.ok && decoded.value.bytes.equals(Buffer.from(bytes)) && decoded.value.dn === dn;
        },
      ),
      500,
    );
    tally.check(
      'roaming timestamp round trip',
      fc.property(
        fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
        fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
        (createdAt, modifiedAt) => {
          const bytes = encodeRoamingTimestamp({ createdAt, modifiedAt });
          if (!bytes.ok) return isTyped(bytes);
          const decoded = decodeRoamingTimestamp(bytes.value);
          return (
            decoded.ok && decoded.value.createdAt === createdAt && decoded.value.modifiedAt === modifiedAt
          );
        },
      ),
      500,
    );
  });
});

/** A valid example with one field (at any depth) replaced by any JSON value, or removed, or one added. */
function mutatedJson(example: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index]));
    else if (value && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(example, []);
  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      '..',
      '../../etc/passwd',
      'a\u0000b',
      '\u202e',
      'ａｄｍｉｎ',
      -1,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      '9'.repeat(400),
      'x'.repeat(70_000),
      [],
      {},
      null,
    ),
  );
  return fc
    .tuple(fc.constantFrom(...paths), hostile, fc.nat({ max: 2 }), fc.string({ maxLength: 12 }))
    .map(([path, replacement, how, extraKey]) => {
      const copy = structuredClone(example) as Record<string | number, unknown>;
      if (path.length === 0) return how === 0 ? replacement : copy;
      let parent: Record<string | number, unknown> = copy;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path[path.length - 1]!;
      if (how === 0) parent[last] = replacement;
      else if (how === 1) Reflect.deleteProperty(parent, last);
      else if (Array.isArray(parent)) parent.push(replacement);
      else parent[extraKey || 'extra'] = replacement;
      return copy;
    });
}

describe('request validators fuzzed', () => {
  const targets: [string, z.ZodType, unknown][] = [
    ['POST /v1/sync', syncRequestSchema, syncRequest()],
    [
      'POST /v1/sessions',
      createSessionRequestSchema,
      {
        user: 'alice',
        password: 'pw',
        machine: 'WS-1',
        devicePublicKey: 'MFkw'.repeat(30),
        agentVersion: '0.1.0',
      },
    ],
    [
      'POST /v1/sessions/renew',
      renewSessionRequestSchema,
      { sessionToken: 'a'.repeat(40), proof: { issuedAt: 1, signature: 'A'.repeat(64) } },
    ],
    [
      'POST /v1/events',
      workstationEventRequestSchema,
      { code: 1001, problem: 'disk full', trigger: 'logon' },
    ],
    ['POST /v1/changes/wait', waitForChangeRequestSchema, { after: null, waitSeconds: 30 }],
    ['ingress message', ingressMessageSchema, { kind: 'transport-certificate' }],
    ...Object.entries(RPC_CONTRACTS).map(([pattern, contract]): [string, z.ZodType, unknown] => [
      `rpc ${pattern}`,
      contract.request,
      (RPC_EXAMPLES as Record<string, { request: unknown }>)[pattern]!.request,
    ]),
  ];

  it.each(targets)(
    '%s: any JSON, or a valid example mutated, is a value or a typed error',
    (name, schema, example) => {
      const input = fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutatedJson(example), mutatedJson(example));
      tally.check(
        name,
        fc.property(input, (value) => {
          const result = parseWith(schema, value);
          if (!result.ok) return isTyped(result);
          // What validates survives its own wire form: parse(JSON(parse(x))) = parse(x).
          const again = parseWith(schema, JSON.parse(JSON.stringify(result.value)));
          return again.ok && JSON.stringify(again.value) === JSON.stringify(result.value);
        }),
        150,
      );
    },
  );
});
