import { generateKeyPairSync } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { spkiDer } from '../credentials/key-description';
import { devicePublicKey } from './device-key';
import { signDeviceProof, verifyDeviceProof } from './device-proof';

const message = Buffer.from('{"kind":"sync","sessionToken":"t","body":{}}');

describe.each([
  ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ['RSA-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
])('device proof with %s', (_label, generate) => {
  const pair = generate();
  const publicKey = unwrap(devicePublicKey(spkiDer(pair.publicKey).toString('base64')));
  const signature = signDeviceProof(pair.privateKey, 1_700_000_000_000, message);

  it('verifies for the same key, time and bytes', () => {
    expect(verifyDeviceProof(publicKey, 1_700_000_000_000, message, signature)).toBe(true);
  });

  it('fails for other bytes, another time, another key or a garbled signature', () => {
    const altered = Buffer.from(message);
    altered[altered.length - 2]! ^= 1;
    expect(verifyDeviceProof(publicKey, 1_700_000_000_000, altered, signature)).toBe(false);
    expect(verifyDeviceProof(publicKey, 1_700_000_000_001, message, signature)).toBe(false);
    const other = unwrap(devicePublicKey(spkiDer(generate().publicKey).toString('base64')));
    expect(verifyDeviceProof(other, 1_700_000_000_000, message, signature)).toBe(false);
    expect(verifyDeviceProof(publicKey, 1_700_000_000_000, message, 'not base64 at all')).toBe(false);
  });
});

it('refuses a device public key that is not an SPKI', () => {
  expect(devicePublicKey(Buffer.from('nope').toString('base64'))).toMatchObject({
    ok: false,
    error: { code: 'CRYPTO_PARSE_FAILED' },
  });
});
