import { RoamingError } from '@credroam/roaming';
import { BODY_LIMITS } from '../agent/body-limits';
import { envelopeOf } from './ingress.consumer';

function codeOf(content: Buffer): string {
  try {
    envelopeOf(content);
  } catch (error) {
    if (error instanceof RoamingError) return error.code;
    throw error;
  }
  return 'accepted';
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the AMQP ingress envelope', () => {
  // The corpus (test/corpus/logon-events-amqp) sends the small-limit cases through the broker; a message over the
  // sync limit is checked here, since publishing 64 MB through the broker costs seconds.
  it('refuses a message over the sync limit before parsing it', () => {
    const content = Buffer.alloc(BODY_LIMITS.sync + 1, 0x20);
    content.write('not JSON at all');
    expect(codeOf(content)).toBe('VALUE_TOO_LARGE');
  });

  it('lets a sync up to its own limit through, and holds every other kind to the small one', () => {
    const padding = 'A'.repeat(BODY_LIMITS.small);
    expect(codeOf(json({ kind: 'sync', sessionToken: 'x', body: { padding } }))).toBe('accepted');
    expect(codeOf(json({ kind: 'report-event', sessionToken: 'x', body: { padding } }))).toBe(
      'VALUE_TOO_LARGE',
    );
  });

  it.each([
    ['not an object', '[]'],
    ['no kind', '{}'],
    ['an unknown kind', '{"kind":"delete-user"}'],
    ['a field the kind does not have', '{"kind":"transport-certificate","body":{}}'],
    ['a session token on a logon', '{"kind":"create-session","sessionToken":"x","body":{}}'],
  ])('refuses %s as INVALID_INPUT', (_what, text) => {
    expect(codeOf(Buffer.from(text))).toBe('INVALID_INPUT');
  });
});
