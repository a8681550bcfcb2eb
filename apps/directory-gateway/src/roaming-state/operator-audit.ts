import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventPublisher, type RpcCallMeta } from '@credroam/messaging';
import { createEvent, RoamingError, type OperatorPattern, type TokenType } from '@credroam/roaming';

/** What an operator did, as the audit event records it (never the data read or removed). */
export interface OperatorActionRecord {
  operation: OperatorPattern;
  targetDn: string;
  /** The token types touched; null for all of them. */
  types: TokenType[] | null;
  removed: number;
}

/**
 * Every look at and every change to a user's roaming data an operator makes becomes a security.operator-action
 * event for audit, naming the operator of the verified grant. It runs after the read or the change: a lost event
 * is an error the operator sees (the command fails and says so), never a silent gap.
 */
@Injectable()
export class OperatorAudit {
  constructor(private readonly events: EventPublisher) {}

  async operatorAction(action: OperatorActionRecord, meta: RpcCallMeta): Promise<void> {
    const grant = meta.grant;
    if (grant?.opr === undefined)
      throw new RoamingError('FORBIDDEN', 'an operator action needs an operator grant');
    const event = createEvent(
      'security.operator-action',
      {
        correlationId: meta.correlationId,
        user: grant.usr.login,
        machine: null,
        payload: { operator: grant.opr, ...action },
      },
      { id: randomUUID(), now: Date.now() },
    );
    if (!event.ok) throw RoamingError.fromInfo(event.error);
    await this.events.publish(event.value);
  }
}
