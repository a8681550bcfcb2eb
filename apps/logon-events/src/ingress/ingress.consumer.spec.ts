import { RoamingError, type IngressEnvelope } from '@credroam/roaming';
import { BODY_LIMITS } from '../agent/body-limits';
import { checkKindShape } from './ingress.consumer';

function codeOf(envelope: IngressEnvelope, size = JSON.stringify(envelope).length): string {
  try {
    checkKindShape(Buffer.alloc(size, 0x20), envelope);
  } catch (error) {
    if (error instanceof RoamingError) return error.code;
    throw error;
  }
  return 'accepted';
}

// What is not an agent request at all (not JSON, no or an unknown kind, a field no kind has) is dead-lettered
// before this check: ingressEnvelopeSchema, and test/e2e/faults/poison-messages.test.ts.
describe('the shape an AMQP ingress request of each kind may have', () => {
  // The corpus (test/corpus/logon-events-amqp) sends the small-limit cases through the broker; a message over the
  // sync limit is checked here, since publishing 64 MB through the broker costs seconds.
  it('refuses a sync over its limit', () => {
    expect(codeOf({ kind: 'sync', sessionToken: 'x', body: {} }, BODY_LIMITS.sync + 1)).toBe(
      'VALUE_TOO_LARGE',
    );
  });

  it('lets a sync up to its own limit through, and holds every other kind to the small one', () => {
    expect(codeOf({ kind: 'sync', sessionToken: 'x', body: {} }, BODY_LIMITS.small + 1)).toBe('accepted');
    expect(codeOf({ kind: 'report-event', sessionToken: 'x', body: {} }, BODY_LIMITS.small + 1)).toBe(
      'VALUE_TOO_LARGE',
    );
  });

  it.each<[string, IngressEnvelope]>([
    ['a body on a certificate question', { kind: 'transport-certificate', body: {} }],
    ['a session token on a logon', { kind: 'create-session', sessionToken: 'x', body: {} }],
    ['a session token on a renewal', { kind: 'renew-session', sessionToken: 'x', body: {} }],
  ])('refuses %s as INVALID_INPUT', (_what, envelope) => {
    expect(codeOf(envelope)).toBe('INVALID_INPUT');
  });
});
