import { randomUUID } from 'node:crypto';
import { type GrantVerifier } from '@credroam/grants';
import {
  createEvent,
  fail,
  ok,
  requestSubject,
  RPC_CONTRACTS,
  type GrantClaims,
  type GrantedPattern,
  type Result,
  type RpcRequestMessage,
} from '@credroam/roaming';
import { type EventPublisher } from '../events/event.publisher';
import { errorFields, type MessagingLogger } from '../messaging.logger';

/**
 * Checks the grant of a request for a user's secrets before any work is done, and makes every refusal visible:
 * a warning in the log and a `security.request-refused` event for audit (never the grant itself).
 */
export class RpcGrantGuard {
  constructor(
    private readonly verifier: GrantVerifier,
    private readonly events: Pick<EventPublisher, 'publish'>,
    private readonly logger: MessagingLogger,
  ) {}

  async check<P extends GrantedPattern>(
    pattern: P,
    message: RpcRequestMessage<P>,
    redelivered: boolean,
  ): Promise<Result<GrantClaims>> {
    const verdict = await this.verifier.verify(pattern, message.payload, message.grant, redelivered);
    if (verdict.ok) return ok(verdict.claims);
    const subject = requestSubject(pattern, message.payload);
    const service = RPC_CONTRACTS[pattern].service;
    this.logger.warn(
      {
        pattern,
        correlationId: message.correlationId,
        outcome: verdict.code,
        reason: verdict.reason,
        grantedTo: verdict.grantedTo,
      },
      'rpc refused: no grant covers it',
    );
    const event = createEvent(
      'security.request-refused',
      {
        correlationId: message.correlationId,
        user: subject.login ?? null,
        machine: null,
        payload: {
          service,
          operation: pattern,
          code: verdict.code,
          reason: verdict.reason,
          targetDn: subject.dn ?? null,
          grantedTo: verdict.grantedTo,
        },
      },
      { id: randomUUID(), now: Date.now() },
    );
    if (event.ok) {
      // The refusal does not wait for the event: a broker hiccup must not turn it into a timeout.
      this.events
        .publish(event.value)
        .catch((error: unknown) =>
          this.logger.error({ pattern, ...errorFields(error) }, 'security event not published'),
        );
    }
    return fail(verdict.code, `${service} refused ${pattern}: ${verdict.reason}`);
  }
}
