import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { openServiceSecret, sealServiceSecret } from './service-envelope';

const key = randomBytes(32);
const seal = (purpose: string, secret: string) => {
  const sealed = sealServiceSecret(key, purpose, Buffer.from(secret));
  if (!sealed.ok) throw new Error(sealed.error.message);
  return sealed.value;
};

describe('service envelopes', () => {
  it('opens what it sealed for the same purpose', () => {
    const opened = openServiceSecret(
      key,
      'verify-password:alice',
      seal('verify-password:alice', 'alice-pass'),
    );
    expect(opened.ok && opened.value.toString()).toBe('alice-pass');
  });

  it('never shows the secret in the envelope', () => {
    expect(seal('p', 'correct horse battery staple').includes(Buffer.from('correct horse'))).toBe(false);
  });

  it('refuses an envelope replayed for another purpose', () => {
    const opened = openServiceSecret(key, 'verify-password:bob', seal('verify-password:alice', 'alice-pass'));
    expect(!opened.ok && opened.error.code).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('refuses an envelope sealed under another key', () => {
    const opened = openServiceSecret(randomBytes(32), 'p', seal('p', 's'));
    expect(!opened.ok && opened.error.code).toBe('KEY_UNAVAILABLE');
  });

  it('detects any flipped byte and any truncation, without throwing', () => {
    const envelope = seal('p', 'secret');
    fc.assert(
      fc.property(fc.nat({ max: envelope.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const tampered = Buffer.from(envelope);
        tampered[index]! ^= mask;
        expect(openServiceSecret(key, 'p', tampered).ok).toBe(false);
        expect(openServiceSecret(key, 'p', envelope.subarray(0, index)).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
