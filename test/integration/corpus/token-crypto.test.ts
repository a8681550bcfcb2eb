// The hostile-input corpus of token-crypto (test/corpus/token-crypto/*.jsonl) against the real process over the
// broker: credential files to crypto.inspect and uploads to crypto.seal-for-storage, made from files the openssl
// binary writes and bent by the named generators below. Each case gets its documented code; after each, a good
// request still succeeds; token-crypto's key directory is unchanged at the end (it writes nothing).
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { z } from 'zod';
import { RpcClient } from '@credroam/messaging';
import { RoamingError, RPC_PATTERNS, unwrap, type RpcPattern, type RpcRequest } from '@credroam/roaming';
import {
  decodePem,
  encodePem,
  parseCertificate,
  sealEnvelope,
  sealSecret,
  SECRET_PURPOSES,
} from '@credroam/sealing';
import { loadTokenCryptoConfig } from '../../../apps/token-crypto/src/config/token-crypto.config';
import { generateKeys } from '../../../apps/token-crypto/src/keys/key-generator';
import { readKeyMaterial } from '../../../apps/token-crypto/src/keys/key-material.reader';
import { KeyRepository } from '../../../apps/token-crypto/src/keys/key.repository';
import { ALICE, LIMITS, meta } from '../../../apps/token-crypto/src/testing/agent.fixture';
import { expectSchema, loadCorpus } from '../../corpus/corpus';
import { openssl, OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { startServiceProcess, type ServiceProcess } from '../../helpers/service-process';
import { testGrants } from '../../support/grants';
import { brokerUrl, BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';

/** The files openssl makes in beforeAll, by name. */
const SOURCES = [
  'cert', // an RSA-2048 self-signed certificate, DER
  'certPem',
  'key', // its key, PKCS#8 DER
  'keyPem',
  'otherKey', // an unrelated RSA key, PKCS#8 DER
  'otherKeyPem',
  'ecCert', // a P-256 certificate, DER
  'csr', // a certificate request, DER
  'p12', // cert and key, password "right"
  'p12Legacy', // the same with 3DES and SHA-1 MAC
  'p12ManyCerts', // a P-256 certificate and key with the certificate 1,100 times over (more bags than allowed)
] as const;
type Source = (typeof SOURCES)[number];

const sourceSchema = z.enum(SOURCES);
type Input = z.output<typeof inputSchema>;
const inputSchema: z.ZodType<
  | { source: Source }
  | { base64: string }
  | { text: string }
  | { truncate: Source; length: number }
  | { flip: Source; at: number; mask: number }
  | { append: Source; base64: string }
  | { concat: Source[] }
  | { pem: string; of: Source }
  | { replace: Source; from: string; to: string }
  | { nested: number }
  | { lyingLength: number; tag: number }
  | { elements: number }
  | { setIntegers: Source; from: number; to: number }
  | { zeros: number }
> = z.union([
  z.object({ source: sourceSchema }).strict(),
  z.object({ base64: z.string() }).strict(),
  z.object({ text: z.string() }).strict(),
  // The first `length` bytes (negative: all but the last -length).
  z.object({ truncate: sourceSchema, length: z.number().int() }).strict(),
  // The byte at `at` (negative: from the end) XOR `mask`.
  z.object({ flip: sourceSchema, at: z.number().int(), mask: z.number().int().min(1).max(255) }).strict(),
  z.object({ append: sourceSchema, base64: z.string() }).strict(),
  // PEM sources one after the other.
  z.object({ concat: z.array(sourceSchema).min(1) }).strict(),
  // A DER source under a PEM label of our choosing.
  z.object({ pem: z.string(), of: sourceSchema }).strict(),
  // A PEM source with text replaced.
  z.object({ replace: sourceSchema, from: z.string(), to: z.string() }).strict(),
  // SEQUENCEs nested `nested` deep around a NULL.
  z.object({ nested: z.number().int().min(1) }).strict(),
  // A TLV of `tag` that claims `lyingLength` bytes and holds 16.
  z.object({ lyingLength: z.number().int().min(0), tag: z.number().int().min(0).max(255) }).strict(),
  // A SEQUENCE of `elements` NULLs.
  z.object({ elements: z.number().int().min(1) }).strict(),
  // A DER source with every INTEGER of value `from` set to `to` (PKCS#12 iteration counts), re-encoded.
  z.object({ setIntegers: sourceSchema, from: z.number().int(), to: z.number().int() }).strict(),
  z.object({ zeros: z.number().int().min(0) }).strict(),
]);

const caseSchema = z.discriminatedUnion('rpc', [
  z
    .object({
      name: z.string().min(1),
      rpc: z.literal('inspect'),
      input: z
        .object({
          data: inputSchema,
          format: z.enum(['auto', 'pem', 'der', 'pkcs12']),
          password: z.string().optional(),
        })
        .strict(),
      expect: expectSchema,
    })
    .strict(),
  z
    .object({
      name: z.string().min(1),
      rpc: z.literal('seal-for-storage'),
      input: z
        .object({
          type: z.enum(['certificate', 'private-key']),
          /** The token id; "thumbprint": the content's certificate thumbprint. */
          id: z.string(),
          content: inputSchema,
          /** Whom the upload is sealed to: token-crypto's transport certificate or another certificate. */
          sealedTo: z.enum(['transport', 'stranger']).default('transport'),
          /** Instead of a sealed envelope: these bytes. */
          envelope: inputSchema.optional(),
          linkedCertificate: z.literal('cert').optional(),
          /** The certificate `cert` uploaded in the same request, after this token (a key is checked against it). */
          withCertificate: z.boolean().optional(),
        })
        .strict(),
      expect: expectSchema,
    })
    .strict(),
]);
type Case = z.output<typeof caseSchema>;

const CASES = loadCorpus('token-crypto', caseSchema);

function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.of(tag, length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.of(tag, 0x80 | bytes.length, ...bytes);
}

/** Every INTEGER equal to `from` set to `to`, at any depth (constructed values re-encoded by asn1js). */
function setIntegers(der: Buffer, from: number, to: number): Buffer {
  const parse = (bytes: Uint8Array): asn1js.AsnType | null => {
    try {
      const parsed = asn1js.fromBER(bytes);
      return parsed.offset === bytes.byteLength ? parsed.result : null;
    } catch {
      return null;
    }
  };
  const walk = (node: asn1js.AsnType): asn1js.AsnType => {
    if (node instanceof asn1js.Integer && node.valueBlock.valueHexView.byteLength <= 4) {
      return node.valueBlock.valueDec === from ? new asn1js.Integer({ value: to }) : node;
    }
    const block = (node as { valueBlock?: { value?: unknown } }).valueBlock;
    if (block && Array.isArray(block.value))
      block.value = block.value.map((child: asn1js.AsnType) => walk(child));
    // An OCTET STRING that holds DER (PKCS#12's authSafe and bags) is walked too.
    if (node instanceof asn1js.OctetString && !node.idBlock.isConstructed) {
      const inner = parse(node.valueBlock.valueHexView);
      if (inner && inner.idBlock.tagClass === 1 && inner.idBlock.isConstructed) {
        return new asn1js.OctetString({ valueHex: walk(inner).toBER(false) });
      }
    }
    return node;
  };
  const root = parse(der);
  if (!root) throw new Error('setIntegers: not BER');
  return Buffer.from(walk(root).toBER(false));
}

describe('the hostile-input corpus against token-crypto over the broker', () => {
  const namespace = testNamespace();
  let workspace: OpensslWorkspace;
  let process: ServiceProcess;
  let client: RpcClient;
  let probe: BrokerProbe;
  let keys: KeyRepository;
  let keyDir: string;
  let files: Record<Source, Buffer>;
  let certificate: GeneratedCertificate;
  let stranger: GeneratedCertificate;
  let keyDirBefore: string[];

  const call = <P extends RpcPattern>(pattern: P, payload: RpcRequest<P>) =>
    client.call(pattern, payload, { correlationId: randomUUID(), grant: testGrants().grantFor(pattern) });

  const listing = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .sort()
      .map((entry) => {
        const stat = statSync(join(dir, entry));
        return `${entry} ${stat.size} ${stat.mtimeMs}`;
      });

  beforeAll(async () => {
    workspace = await OpensslWorkspace.create();
    keyDir = join(workspace.dir, 'token-crypto-keys');
    generateKeys(keyDir, { transportKeyBits: 2048 });
    keys = new KeyRepository(readKeyMaterial(loadTokenCryptoConfig({ CREDROAM_KEY_DIR: keyDir })));
    probe = await BrokerProbe.open(namespace);
    process = await startServiceProcess({
      name: 'token-crypto',
      script: 'scripts/lib/run-service.cjs',
      args: ['token-crypto'],
      env: {
        CREDROAM_AMQP_URL: brokerUrl(),
        CREDROAM_AMQP_NAMESPACE: namespace,
        ...testGrants().verifierEnv,
        CREDROAM_KEY_DIR: keyDir,
      },
      ready: { line: /token-crypto ready/ },
      readyTimeoutMs: 20_000,
    });
    client = new RpcClient(testConfig(namespace), 'token-crypto');
    await client.connect();
    certificate = await workspace.selfSignedCertificate({ subject: '/CN=Alice Martin' });
    stranger = await workspace.selfSignedCertificate({ subject: '/CN=Someone Else' });
    const other = await workspace.generateKey('rsa-2048');
    const ec = await workspace.selfSignedCertificate({ algorithm: 'p-256' });
    const request = await workspace.certificateRequest();
    const pkcs8 = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
    const manyFile = join(workspace.dir, 'many.pem');
    await writeFile(manyFile, ec.certPem.repeat(1_100));
    const manyOut = join(workspace.dir, 'many.p12');
    await openssl([
      'pkcs12',
      '-export',
      '-in',
      ec.certFile,
      '-inkey',
      ec.keyFile,
      '-certfile',
      manyFile,
      '-out',
      manyOut,
      '-passout',
      'pass:right',
    ]);
    files = {
      cert: certificate.certDer,
      certPem: Buffer.from(certificate.certPem),
      key: pkcs8(certificate.keyPem),
      keyPem: Buffer.from(createPrivateKey(certificate.keyPem).export({ type: 'pkcs8', format: 'pem' })),
      otherKey: pkcs8(other.keyPem),
      otherKeyPem: Buffer.from(createPrivateKey(other.keyPem).export({ type: 'pkcs8', format: 'pem' })),
      ecCert: ec.certDer,
      csr: request.csrDer,
      p12: (await workspace.pkcs12(certificate, { password: 'right' })).der,
      p12Legacy: (await workspace.pkcs12(certificate, { password: 'right', legacy: true })).der,
      p12ManyCerts: await readFile(manyOut),
    };
    keyDirBefore = listing(keyDir);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await process?.stop();
    await probe?.cleanUp();
    await workspace?.dispose();
  }, 30_000);

  const bytesOf = (input: Input): Buffer => {
    if ('source' in input) return files[input.source];
    if ('base64' in input && !('append' in input)) return Buffer.from(input.base64, 'base64');
    if ('text' in input) return Buffer.from(input.text, 'utf8');
    if ('truncate' in input) {
      const source = files[input.truncate];
      return source.subarray(0, input.length >= 0 ? input.length : source.length + input.length);
    }
    if ('flip' in input) {
      const copy = Buffer.from(files[input.flip]);
      const at = input.at >= 0 ? input.at : copy.length + input.at;
      copy[at]! ^= input.mask;
      return copy;
    }
    if ('append' in input) return Buffer.concat([files[input.append], Buffer.from(input.base64, 'base64')]);
    if ('concat' in input) return Buffer.concat(input.concat.map((source) => files[source]));
    if ('pem' in input) return Buffer.from(encodePem(input.pem, files[input.of]));
    if ('replace' in input)
      return Buffer.from(files[input.replace].toString('latin1').replace(input.from, input.to), 'latin1');
    if ('nested' in input) {
      const headers: Buffer[] = [];
      let length = 2;
      for (let level = 0; level < input.nested; level++) {
        const next = header(0x30, length);
        headers.push(next);
        length += next.length;
      }
      return Buffer.concat([...headers.reverse(), Buffer.of(0x05, 0x00)]);
    }
    if ('lyingLength' in input)
      return Buffer.concat([header(input.tag, input.lyingLength), Buffer.alloc(16, 0x41)]);
    if ('elements' in input) {
      const content = Buffer.alloc(input.elements * 2);
      for (let index = 0; index < input.elements; index++) content[index * 2] = 0x05;
      return Buffer.concat([header(0x30, content.length), content]);
    }
    if ('setIntegers' in input) return setIntegers(files[input.setIntegers], input.from, input.to);
    return Buffer.alloc(input.zeros);
  };

  /** The error code of a call, or "OK". */
  const outcome = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
      return 'OK';
    } catch (error) {
      if (error instanceof RoamingError) return error.code;
      throw error;
    }
  };

  const run = async ({ rpc, input }: Case): Promise<string> => {
    if (rpc === 'inspect') {
      const { certificatePem } = await call(RPC_PATTERNS.transportCertificate, {});
      const transport = unwrap(parseCertificate(unwrap(decodePem(certificatePem))[0]!.der));
      const password =
        input.password === undefined
          ? {}
          : {
              passwordEnvelope: unwrap(
                sealSecret(SECRET_PURPOSES.inspectPassword, Buffer.from(input.password), [
                  { certificate: transport },
                ]),
              ).toString('base64'),
            };
      return outcome(
        call(RPC_PATTERNS.inspect, {
          data: bytesOf(input.data).toString('base64'),
          format: input.format,
          ...password,
        }),
      );
    }
    const content = bytesOf(input.content);
    const id = input.id === 'thumbprint' ? certificate.thumbprint : input.id;
    const recipient =
      input.sealedTo === 'transport' ? keys.transportCertificate : unwrap(parseCertificate(stranger.certDer));
    const envelope = input.envelope
      ? bytesOf(input.envelope)
      : unwrap(sealEnvelope(content, [{ certificate: recipient }]));
    const token = meta(keys, ALICE, input.type, id, content, {
      ...(input.linkedCertificate ? { linkedCertificate: certificate.thumbprint } : {}),
    });
    try {
      const answer = await call(RPC_PATTERNS.sealForStorage, {
        user: ALICE,
        limits: LIMITS,
        items: [
          { token, envelope: envelope.toString('base64') },
          ...(input.withCertificate
            ? [
                {
                  token: meta(keys, ALICE, 'certificate', certificate.thumbprint, files.cert),
                  envelope: unwrap(
                    sealEnvelope(files.cert, [{ certificate: keys.transportCertificate }]),
                  ).toString('base64'),
                },
              ]
            : []),
        ],
      });
      const [item] = answer.items;
      return item!.ok ? 'OK' : item!.error.code;
    } catch (error) {
      if (error instanceof RoamingError) return error.code;
      throw error;
    }
  };

  it.each(CASES.map((entry) => [entry.name, entry.value] as const))('%s', async (_name, corpusCase) => {
    expect(await run(corpusCase)).toBe(corpusCase.expect.code);
    // Still serving: a good request succeeds.
    expect(
      await outcome(call(RPC_PATTERNS.inspect, { data: files.cert.toString('base64'), format: 'der' })),
    ).toBe('OK');
  });

  it('wrote nothing: the key directory is as it was', () => {
    expect(listing(keyDir)).toEqual(keyDirBefore);
    console.log(`corpus token-crypto: ${CASES.length} cases`);
  });
});
