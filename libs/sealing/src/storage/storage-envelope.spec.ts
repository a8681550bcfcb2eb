import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { unwrap } from '@credroam/roaming';
import { openEnvelope } from '../cms/envelope';
import { keyFixture } from '../testing/key-fixtures';
import { tokenHash } from '../token-hash';
import {
  deriveStorageKeys,
  openStoredValue,
  recoverStoredValue,
  sealStoredValue,
  storageKekId,
  storedValueKeyVersion,
  type StorageContext,
} from './storage-envelope';

const ALICE = '0f8fad5b-d9cb-469f-a165-70867728950e';
const BOB = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const master = { 1: randomBytes(32), 2: randomBytes(32) };
const keysFor = (stableId: string, version: 1 | 2 = 1) =>
  deriveStorageKeys(master[version], version, stableId);
const hashKey = randomBytes(32);
const content = randomBytes(1800);
const context: StorageContext = {
  stableId: ALICE,
  type: 'stored-credential',
  id: 'Domain:target=TERMSRV/host',
  keyVersion: 1,
  hash: tokenHash(hashKey, content),
  size: content.length,
};
const agent = keyFixture('rsa-2048', 'recovery');

function codeOf(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'OK' : (result.error?.code ?? '?');
}

describe('storage envelopes', () => {
  const sealed = unwrap(sealStoredValue(content, context, keysFor(ALICE), [agent.certificate]));

  it('open for the same user, token, key version and hash', () => {
    expect(unwrap(openStoredValue(sealed, context, keysFor(ALICE)))).toEqual(content);
    expect(unwrap(storedValueKeyVersion(sealed))).toBe(1);
  });

  it('are standard CMS: the derived KEK and the recovery agent each open them', () => {
    const keys = keysFor(ALICE);
    expect(unwrap(openEnvelope(sealed, [{ kek: keys.kek, kekId: storageKekId(1) }]))).toEqual(content);
    expect(unwrap(recoverStoredValue(sealed, agent))).toEqual(content);
    expect(unwrap(recoverStoredValue(sealed, { privateKey: agent.privateKey }))).toEqual(content);
  });

  it('detect a flipped bit in any byte before decrypting', () => {
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const tampered = Buffer.from(sealed);
        tampered[index]! ^= mask;
        expect(codeOf(openStoredValue(tampered, context, keysFor(ALICE)))).toBe('INTEGRITY_CHECK_FAILED');
      }),
      { numRuns: 500 },
    );
  });

  it('detect truncation and appended bytes', () => {
    for (const changed of [
      sealed.subarray(0, sealed.length - 1),
      sealed.subarray(0, 100),
      Buffer.concat([sealed, Buffer.of(0)]),
    ]) {
      expect(codeOf(openStoredValue(changed, context, keysFor(ALICE)))).toBe('INTEGRITY_CHECK_FAILED');
    }
  });

  it('refuse the same value in another encoding, or with anything beside the parts and the MAC', () => {
    // Re-encoded through asn1js, with one change each: what an attacker with write access could store.
    const variant = (change: (envelope: asn1js.Sequence, root: asn1js.Sequence) => void) => {
      const root = asn1js.fromBER(sealed).result as asn1js.Sequence;
      const wrapper = root.valueBlock.value[1] as asn1js.Constructed;
      change(wrapper.valueBlock.value[0] as asn1js.Sequence, root);
      return Buffer.from(root.toBER());
    };
    expect(variant(() => undefined)).toEqual(sealed);
    const attributes = (envelope: asn1js.Sequence) => envelope.valueBlock.value[3] as asn1js.Constructed;
    for (const changed of [
      variant((_envelope, root) => (root.lenBlock.isIndefiniteForm = true)),
      variant((envelope) => envelope.valueBlock.value.push(new asn1js.Null())),
      variant((envelope) =>
        envelope.valueBlock.value.splice(
          1,
          0,
          new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 } }),
        ),
      ),
      variant((envelope) => attributes(envelope).valueBlock.value.push(new asn1js.Null())),
      variant((envelope) => {
        const [, values] = (attributes(envelope).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
        (values as asn1js.Set).valueBlock.value.push(new asn1js.OctetString({ valueHex: Buffer.alloc(32) }));
      }),
    ]) {
      expect(codeOf(openStoredValue(changed, context, keysFor(ALICE)))).toBe('INTEGRITY_CHECK_FAILED');
    }
  });

  it.each<[string, Partial<StorageContext>]>([
    ['another user', { stableId: BOB }],
    ['another token id', { id: 'Domain:target=TERMSRV/other' }],
    ['another token type', { type: 'master-key', id: 'Preferred' }],
    [
      'a header with another hash (replay of an older value)',
      { hash: tokenHash(hashKey, Buffer.from('newer')) },
    ],
    ['a header with another size', { size: content.length + 1 }],
  ])('refuse a value moved to %s', (_label, change) => {
    const moved = { ...context, ...change };
    expect(codeOf(openStoredValue(sealed, moved, keysFor(moved.stableId)))).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('refuse a value whose header names another key version', () => {
    expect(codeOf(openStoredValue(sealed, { ...context, keyVersion: 2 }, keysFor(ALICE, 2)))).toBe(
      'INTEGRITY_CHECK_FAILED',
    );
    expect(codeOf(openStoredValue(sealed, { ...context, keyVersion: 2 }, keysFor(ALICE, 1)))).toBe(
      'KEY_UNAVAILABLE',
    );
  });

  it('refuse a value sealed for Bob even under Alice’s header with Bob’s keys', () => {
    const bobs = unwrap(sealStoredValue(content, { ...context, stableId: BOB }, keysFor(BOB)));
    expect(codeOf(openStoredValue(bobs, context, keysFor(ALICE)))).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('seal only content that matches its metadata', () => {
    expect(codeOf(sealStoredValue(content.subarray(1), context, keysFor(ALICE)))).toBe('INVALID_INPUT');
    expect(codeOf(sealStoredValue(content, { ...context, id: '' }, keysFor(ALICE)))).toBe('INVALID_TOKEN_ID');
    expect(codeOf(sealStoredValue(content, { ...context, hash: 'A'.repeat(64) }, keysFor(ALICE)))).toBe(
      'INVALID_TOKEN_HASH',
    );
  });

  it('derive different keys per user and per version', () => {
    const [a1, b1, a2] = [keysFor(ALICE), keysFor(BOB), keysFor(ALICE, 2)];
    expect(new Set([a1.kek, b1.kek, a2.kek, a1.macKey].map((key) => key.toString('hex'))).size).toBe(4);
  });
});
