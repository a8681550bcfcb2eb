import { RoamingError } from '@credroam/roaming';
import { tokenHash } from '@credroam/sealing';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { encodeStoredCredential, StoredCredentialService } from './stored-credential.service';

describe('StoredCredentialService', () => {
  let fixture: AgentFixture;
  let clock: number;
  let service: StoredCredentialService;
  const key = { type: 'stored-credential' as const, id: 'TERMSRV/host.example.com' };

  beforeEach(() => {
    fixture = agentFixture();
    clock = NOW;
    service = new StoredCredentialService(fixture.store, () => clock);
  });
  afterEach(() => fixture.dispose());

  it('stores the secret and user name as JSON, hashed with the hash key, stamped now', () => {
    expect(service.set(key.id, Buffer.from('s3cret'), 'alice@example.com')).toEqual({
      ...key,
      status: 'added',
      modifiedAt: NOW,
    });
    const stored = fixture.store.tokens.get(key)!;
    expect(JSON.parse(stored.content.toString('utf8'))).toEqual({
      format: 1,
      userName: 'alice@example.com',
      secret: Buffer.from('s3cret').toString('base64'),
    });
    expect(stored.meta).toMatchObject({
      modifiedAt: NOW,
      size: stored.content.length,
      hash: tokenHash(fixture.hashKey, stored.content),
    });
  });

  it('leaves out an absent user name', () => {
    expect(JSON.parse(encodeStoredCredential(Buffer.from([0, 255])).toString('utf8'))).toEqual({
      format: 1,
      secret: 'AP8=',
    });
  });

  it('makes an edit a new version with a later modifiedAt, and an identical set a no-op', () => {
    service.set(key.id, Buffer.from('first'));
    const first = fixture.store.tokens.get(key)!;
    clock = NOW + 5_000;
    expect(service.set(key.id, Buffer.from('first'))).toMatchObject({ status: 'unchanged', modifiedAt: NOW });
    expect(service.set(key.id, Buffer.from('second'))).toMatchObject({
      status: 'updated',
      modifiedAt: NOW + 5_000,
    });
    const second = fixture.store.tokens.get(key)!;
    expect(second.meta.hash).not.toBe(first.meta.hash);
    expect(second.content.equals(first.content)).toBe(false);
    expect(service.set(key.id, Buffer.from('second'), 'bob')).toMatchObject({ status: 'updated' });
  });

  it('never goes back in time: an edit in the same millisecond (or after a clock step back) is still later', () => {
    clock = NOW + 10;
    service.set(key.id, Buffer.from('one'));
    clock = NOW;
    expect(service.set(key.id, Buffer.from('two')).modifiedAt).toBe(NOW + 11);
  });

  it.each([
    ['', 'an empty target'],
    ['line\nbreak', 'a control character'],
    ['x'.repeat(94), 'a target over 93 bytes'],
  ])('refuses %j (%s) and writes nothing', (target) => {
    expect(() => service.set(target, Buffer.from('pw'))).toThrow(RoamingError);
    expect(fixture.store.tokens.list().tokens).toEqual([]);
  });

  it('refuses an empty or oversized secret and an unprintable user name', () => {
    expect(() => service.set(key.id, Buffer.alloc(0))).toThrow(/secret/);
    expect(() => service.set(key.id, Buffer.alloc(2561, 1))).toThrow(/secret/);
    expect(() => service.set(key.id, Buffer.from('pw'), 'evil\u001b[2J')).toThrow(/user name/);
    expect(fixture.store.tokens.list().tokens).toEqual([]);
  });

  it('needs a session that is live or still renewable (the hash key)', () => {
    const past = new Date(NOW - 1).toISOString();
    fixture.store.session.write({ ...fixture.session, expiresAt: past, renewableUntil: past });
    expect(() => service.set(key.id, Buffer.from('pw'))).toThrow(
      expect.objectContaining({ code: 'SESSION_EXPIRED' }),
    );
    expect(fixture.store.tokens.list().tokens).toEqual([]);
  });
});
