// Values sealed and files parsed by earlier versions of libs/sealing (TEST FIXTURES in __fixtures__/stored-formats,
// made by make-fixtures.cjs there): they must still open, parse and describe exactly as they did, and sealing the
// same content again, with the same randomness replayed, must write the same bytes. What is already stored in a
// directory, or held by a user as a file, must never stop opening because the code underneath changed.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { unwrap, type Result } from '@credroam/roaming';
import recorded from './__fixtures__/stored-formats/stored-formats.json';
import {
  createSelfSignedCertificate,
  deriveStorageKeys,
  openEnvelope,
  openLogonPassword,
  openSecret,
  openServiceSecret,
  openStoredValue,
  parseCertificate,
  parseCertificationRequest,
  parsePkcs12,
  parsePrivateKey,
  recoverStoredValue,
  sealEnvelope,
  sealLogonPassword,
  sealSecret,
  sealStoredValue,
  storedValueKeyVersion,
  type EnvelopeRecipient,
  type LogonPasswordBinding,
  type OpeningKey,
  type ParsedCertificate,
  type StorageContext,
} from './index';

/** The shape make-fixtures.cjs writes. */
type Outcome = { ok: true } | { ok: false; code: string; message: string };
interface Sealed {
  label: string;
  content: string;
  sealed: string;
  randomBytes: string[];
}
type RecordedValue =
  | (Sealed & { kind: 'storage'; context: StorageContext; recoveryAgents: string[] })
  | (Sealed & { kind: 'envelope'; recipients: string[] })
  | (Sealed & { kind: 'secret'; purpose: string; recipients: string[] })
  | (Sealed & { kind: 'logon-password'; binding: LogonPasswordBinding; recipients: string[] })
  | (Sealed & { kind: 'service'; purpose: string; key: string })
  | (Omit<Sealed, 'randomBytes'> & {
      kind: 'openssl-envelope';
      opening: string;
      kek?: string;
      kekId?: string;
      expected: Outcome;
    });
interface RecordedCredential {
  kind: 'certificate' | 'private-key' | 'pkcs12' | 'certificate-request';
  label: string;
  der: string;
  password?: string;
  expected: { ok: true; value: unknown } | { ok: false; code: string; message: string };
}
interface Fixtures {
  testOnlyKeys: Record<string, { pkcs8: string; spki: string }>;
  certificates: Record<
    string,
    { der: string; commonName: string; notBefore: string; notAfter: string; randomBytes: string[] }
  >;
  storage: { masterKeyV1: string; masterKeyV2: string; stableId: string; hashKey: string };
  values: RecordedValue[];
  credentials: RecordedCredential[];
}
const fixtures = recorded as unknown as Fixtures;

// The randomness a fixture recorded is handed out again, in order, by crypto.randomBytes.
const replay: Buffer[] = [];
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return {
    ...actual,
    randomBytes: (size: number) => {
      const next = replay[0];
      if (next && next.length === size) return Buffer.from(replay.shift() as Buffer);
      return actual.randomBytes(size);
    },
  };
});

function replaying<T>(draws: string[], work: () => T): T {
  replay.splice(0, replay.length, ...draws.map((hex) => Buffer.from(hex, 'hex')));
  try {
    const value = work();
    expect(replay).toHaveLength(0);
    return value;
  } finally {
    replay.length = 0;
  }
}

const b64 = (text: string) => Buffer.from(text, 'base64');
const privateKey = (name: string): KeyObject =>
  createPrivateKey({ key: b64(fixtures.testOnlyKeys[name]!.pkcs8), format: 'der', type: 'pkcs8' });
const publicKey = (name: string): KeyObject =>
  createPublicKey({ key: b64(fixtures.testOnlyKeys[name]!.spki), format: 'der', type: 'spki' });
const certificate = (name: string): ParsedCertificate =>
  unwrap(parseCertificate(b64(fixtures.certificates[name]!.der)));

function recipient(spec: string): EnvelopeRecipient {
  const [kind, name = '', id = ''] = spec.split(':');
  if (kind === 'certificate') return { certificate: certificate(name) };
  if (kind === 'publicKey') return { publicKey: publicKey(name) };
  return { kek: Buffer.from(name, 'hex'), kekId: Buffer.from(id, 'hex') };
}

/** The key that opens what was sealed to `spec`: a private key (with its certificate when named by one), or the KEK. */
function openingKey(spec: string): OpeningKey {
  const [kind, name = '', id = ''] = spec.split(':');
  if (kind === 'certificate') return { privateKey: privateKey(name), certificate: certificate(name) };
  if (kind === 'publicKey') return { privateKey: privateKey(name) };
  return { kek: Buffer.from(name, 'hex'), kekId: Buffer.from(id, 'hex') };
}

/**
 * The envelope with the bytes OpenSSL draws itself (RSA-OAEP encrypted keys, ECDH ephemeral keys and the keys wrapped
 * under them) zeroed, and the storage MAC that covers them: what is left is the whole format, every tag, length and
 * identifier.
 */
function withoutAsymmetricRandomness(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const decoded = asn1js.fromBER(copy);
  expect(decoded.offset).toBe(copy.length);
  // A node and where it starts in the input, so that its bytes can be found again.
  type Located = { node: asn1js.AsnType; at: number };
  const children = (parent: Located | undefined): Located[] => {
    if (!parent) return [];
    let at = parent.at + parent.node.idBlock.blockLength + parent.node.lenBlock.blockLength;
    return ((parent.node.valueBlock as { value?: asn1js.AsnType[] }).value ?? []).map((node) => {
      const located = { node, at };
      at += node.valueBeforeDecodeView.length;
      return located;
    });
  };
  const zero = (located: Located | undefined) => {
    if (!located) throw new Error('unexpected envelope shape');
    copy.fill(0, located.at, located.at + located.node.valueBeforeDecodeView.length);
  };
  const envelope = children(children({ node: decoded.result, at: 0 })[1])[0];
  const recipientInfos = children(envelope).find(
    ({ node }) => node.idBlock.tagClass === 1 && node.idBlock.tagNumber === 17,
  );
  for (const info of children(recipientInfos)) {
    const parts = children(info);
    const { tagClass, tagNumber } = info.node.idBlock;
    if (tagClass === 1) zero(parts[3]); // KeyTransRecipientInfo: encryptedKey
    if (tagClass === 3 && tagNumber === 1) {
      zero(parts[1]); // KeyAgreeRecipientInfo: originator (the ephemeral public key)
      for (const encryptedKey of children(parts[parts.length - 1])) zero(children(encryptedKey)[1]);
    }
  }
  const attributes = children(envelope).find(
    ({ node }) => node.idBlock.tagClass === 3 && node.idBlock.tagNumber === 1,
  );
  for (const attribute of children(attributes)) zero(children(children(attribute)[1])[0]);
  return copy;
}

function expectSameFormat(resealed: Buffer, recorded: Buffer): void {
  expect(resealed.length).toBe(recorded.length);
  expect(withoutAsymmetricRandomness(resealed).toString('hex')).toBe(
    withoutAsymmetricRandomness(recorded).toString('hex'),
  );
}

const valuesOf = <K extends RecordedValue['kind']>(kind: K) =>
  fixtures.values.filter((value): value is Extract<RecordedValue, { kind: K }> => value.kind === kind);
const labelled = <T extends { label: string }>(items: T[]): [string, T][] =>
  items.map((item) => [item.label, item]);

describe('storage envelopes sealed by earlier versions', () => {
  const storageKeysFor = (version: number) =>
    deriveStorageKeys(
      Buffer.from(version === 1 ? fixtures.storage.masterKeyV1 : fixtures.storage.masterKeyV2, 'hex'),
      version,
      fixtures.storage.stableId,
    );

  it.each(labelled(valuesOf('storage')))(
    '%s: opens, names its key version, re-seals to the same bytes',
    (_label, value) => {
      const { context } = value;
      const sealed = b64(value.sealed);
      const keys = storageKeysFor(context.keyVersion);
      expect(unwrap(openStoredValue(sealed, context, keys))).toEqual(b64(value.content));
      expect(unwrap(storedValueKeyVersion(sealed))).toBe(context.keyVersion);
      const agents = value.recoveryAgents.map(certificate);
      const resealed = replaying(value.randomBytes, () =>
        unwrap(sealStoredValue(b64(value.content), context, keys, agents)),
      );
      if (agents.length === 0) expect(resealed.toString('hex')).toBe(sealed.toString('hex'));
      else expectSameFormat(resealed, sealed);
      expect(unwrap(openStoredValue(resealed, context, keys))).toEqual(b64(value.content));
    },
  );

  it.each(labelled(valuesOf('storage').filter((value) => value.recoveryAgents.length > 0)))(
    '%s: each recovery agent recovers it, with or without its certificate',
    (_label, value) => {
      for (const agent of value.recoveryAgents) {
        const sealed = b64(value.sealed);
        expect(
          unwrap(
            recoverStoredValue(sealed, { privateKey: privateKey(agent), certificate: certificate(agent) }),
          ),
        ).toEqual(b64(value.content));
        expect(unwrap(recoverStoredValue(sealed, { privateKey: privateKey(agent) }))).toEqual(
          b64(value.content),
        );
      }
    },
  );
});

describe('envelopes sealed by earlier versions', () => {
  it.each(labelled(valuesOf('envelope')))(
    '%s: each recipient opens it; re-sealing writes the same format',
    (_label, value) => {
      const sealed = b64(value.sealed);
      for (const spec of value.recipients) {
        expect(unwrap(openEnvelope(sealed, [openingKey(spec)]))).toEqual(b64(value.content));
      }
      const resealed = replaying(value.randomBytes, () =>
        unwrap(sealEnvelope(b64(value.content), value.recipients.map(recipient))),
      );
      expectSameFormat(resealed, sealed);
      for (const spec of value.recipients) {
        expect(unwrap(openEnvelope(resealed, [openingKey(spec)]))).toEqual(b64(value.content));
      }
    },
  );

  it.each(labelled(valuesOf('secret')))(
    '%s: opens for its purpose; re-sealing writes the same format',
    (_label, value) => {
      const sealed = b64(value.sealed);
      const keys = value.recipients.map(openingKey);
      expect(unwrap(openSecret(value.purpose, sealed, keys))).toEqual(b64(value.content));
      const resealed = replaying(value.randomBytes, () =>
        unwrap(sealSecret(value.purpose, b64(value.content), value.recipients.map(recipient))),
      );
      expectSameFormat(resealed, sealed);
    },
  );

  it.each(labelled(valuesOf('logon-password')))(
    '%s: opens with its binding; re-sealing writes the same format',
    (_label, value) => {
      const sealed = b64(value.sealed);
      const opened = unwrap(openLogonPassword(sealed, value.recipients.map(openingKey)));
      expect(opened).toEqual({ binding: value.binding, password: b64(value.content) });
      const resealed = replaying(value.randomBytes, () =>
        unwrap(sealLogonPassword(value.binding, b64(value.content), value.recipients.map(recipient))),
      );
      expectSameFormat(resealed, sealed);
    },
  );

  it.each(labelled(valuesOf('service')))('%s: opens under its channel key and purpose', (_label, value) => {
    expect(
      unwrap(openServiceSecret(Buffer.from(value.key, 'hex'), value.purpose, b64(value.sealed))),
    ).toEqual(b64(value.content));
  });
});

describe('envelopes written by openssl cms -encrypt', () => {
  it.each(labelled(valuesOf('openssl-envelope')))('%s: opens, or is refused, as before', (_label, value) => {
    const key: OpeningKey =
      value.opening === 'kek'
        ? { kek: Buffer.from(value.kek ?? '', 'hex'), kekId: Buffer.from(value.kekId ?? '', 'hex') }
        : { privateKey: privateKey(value.opening), certificate: certificate(value.opening) };
    const opened = openEnvelope(b64(value.sealed), [key]);
    const { expected } = value;
    if (expected.ok) expect(unwrap(opened)).toEqual(b64(value.content));
    else expect(opened).toEqual({ ok: false, error: expect.objectContaining(errorOf(expected)) });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// credentials

/** An error as recorded: the code always; the message where it is credroam's own advice, not a DER parser's detail. */
function errorOf(expected: { code?: string; message?: string }): Record<string, unknown> {
  const message = expected.message ?? '';
  return /DER|malformed|stray bytes|nested/.test(message)
    ? { code: expected.code }
    : { code: expected.code, message };
}

function describeParsed(value: unknown): unknown {
  const hex = (bytes: Buffer | null) => (bytes ? bytes.toString('hex') : null);
  if (value && typeof value === 'object' && 'thumbprint' in value && 'issuerDer' in value) {
    const cert = value as ParsedCertificate;
    return {
      thumbprint: cert.thumbprint,
      subject: cert.subject,
      issuer: cert.issuer,
      serialNumber: cert.serialNumber,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      publicKeyInfo: cert.publicKeyInfo.toString('base64'),
      keyAlgorithm: cert.keyAlgorithm,
      keySize: cert.keySize,
      subjectKeyIdentifier: hex(cert.subjectKeyIdentifier),
      issuerDer: cert.issuerDer.toString('base64'),
      serialDer: cert.serialDer.toString('hex'),
    };
  }
  if (value && typeof value === 'object' && 'encrypted' in value) {
    const key = value as {
      keyAlgorithm: string;
      keySize: number | null;
      encrypted: boolean;
      publicKey: KeyObject;
    };
    return {
      keyAlgorithm: key.keyAlgorithm,
      keySize: key.keySize,
      encrypted: key.encrypted,
      publicKey: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }
  if (value && typeof value === 'object' && 'integrityChecked' in value) {
    const bundle = value as {
      integrityChecked: boolean;
      certificates: { value: unknown; localKeyId: Buffer | null; friendlyName: string | null }[];
      keys: { value: unknown; localKeyId: Buffer | null; friendlyName: string | null }[];
    };
    const entry = (item: (typeof bundle.keys)[number]) => ({
      value: describeParsed(item.value),
      localKeyId: hex(item.localKeyId),
      friendlyName: item.friendlyName,
    });
    return {
      integrityChecked: bundle.integrityChecked,
      certificates: bundle.certificates.map(entry),
      keys: bundle.keys.map(entry),
    };
  }
  const request = value as {
    subject: string;
    publicKeyInfo: Buffer;
    keyAlgorithm: string;
    keySize: number | null;
  };
  return {
    subject: request.subject,
    publicKeyInfo: request.publicKeyInfo.toString('base64'),
    keyAlgorithm: request.keyAlgorithm,
    keySize: request.keySize,
  };
}

describe('credentials parsed by earlier versions', () => {
  const parse = (credential: RecordedCredential): Result<unknown> => {
    const der = b64(credential.der);
    const { password } = credential;
    switch (credential.kind) {
      case 'certificate':
        return parseCertificate(der);
      case 'private-key':
        return parsePrivateKey(der, password);
      case 'pkcs12':
        return parsePkcs12(der, password ?? '');
      default:
        return parseCertificationRequest(der);
    }
  };

  it.each(
    fixtures.credentials.map(
      (credential) => [`${credential.kind}: ${credential.label}`, credential] as const,
    ),
  )('%s', (_label, credential) => {
    const parsed = parse(credential);
    if (credential.expected.ok) {
      expect(parsed.ok && describeParsed(parsed.value)).toEqual(credential.expected.value);
    } else {
      expect(parsed).toEqual({ ok: false, error: expect.objectContaining(errorOf(credential.expected)) });
    }
  });
});

describe('certificates made by createSelfSignedCertificate in earlier versions', () => {
  it.each(Object.entries(fixtures.certificates))(
    '%s: made again from the same key, serial and dates',
    (name, recorded) => {
      const made = replaying(recorded.randomBytes, () =>
        unwrap(
          createSelfSignedCertificate(privateKey(name), {
            commonName: recorded.commonName,
            notBefore: new Date(recorded.notBefore),
            notAfter: new Date(recorded.notAfter),
          }),
        ),
      );
      const tbs = (der: Buffer) => {
        const decoded = asn1js.fromBER(der).result as asn1js.Sequence;
        return Buffer.from((decoded.valueBlock.value[0] as asn1js.AsnType).valueBeforeDecodeView).toString(
          'hex',
        );
      };
      // RSA PKCS#1 v1.5 signatures are deterministic, ECDSA ones are not: compare what is signed, and the whole DER for RSA.
      expect(tbs(made.der)).toBe(tbs(b64(recorded.der)));
      if (made.keyAlgorithm === 'RSA')
        expect(made.der.toString('hex')).toBe(b64(recorded.der).toString('hex'));
    },
  );
});
