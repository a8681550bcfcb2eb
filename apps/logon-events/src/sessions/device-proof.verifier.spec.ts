import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { spkiDer } from '@credroam/sealing';
import { DeviceProofVerifier } from './device-proof.verifier';
import { sessionClaims } from '../testing/session-claims';

const NOW = Date.UTC(2026, 10, 25, 12);
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const claims = sessionClaims({
  devicePublicKey: spkiDer(device.publicKey).toString('base64'),
  transport: 'amqp',
  exp: NOW + 60_000,
});

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** The same proof signed once, in its two valid ECDSA forms: (r, s) and (r, n − s). */
function proofAndTwin(message: Buffer, issuedAt: number) {
  const digest = createHash('sha256').update(message).digest();
  const signed = Buffer.concat([Buffer.from(`credroam device proof v1\0${issuedAt}\0`, 'utf8'), digest]);
  const raw = sign('sha256', signed, { key: device.privateKey, dsaEncoding: 'ieee-p1363' });
  const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  const der = (sValue: bigint) => {
    const body = Buffer.concat([derInteger(r), derInteger(sValue)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64');
  };
  return [der(s), der(P256_ORDER - s)] as const;
}

describe('DeviceProofVerifier', () => {
  it('refuses the second form of an ECDSA signature of a message it already processed', () => {
    const verifier = new DeviceProofVerifier();
    const message = Buffer.from('{"kind":"sync"}');
    const [signature, twin] = proofAndTwin(message, NOW);
    expect(signature).not.toBe(twin);
    verifier.verify(claims, { message, issuedAt: NOW, signature }, NOW);
    expect(() => verifier.verify(claims, { message, issuedAt: NOW, signature: twin }, NOW)).toThrow(
      /already processed/,
    );
    // On a replica that never saw the first form, the twin is a valid proof: the freshness window bounds that.
    expect(() =>
      new DeviceProofVerifier().verify(claims, { message, issuedAt: NOW, signature: twin }, NOW),
    ).not.toThrow();
  });
});
