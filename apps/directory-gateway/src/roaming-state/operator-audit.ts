import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventPublisher, type RpcCallMeta } from '@credroam/messaging';
import { createEvent, RoamingError, type RpcRequest } from '@credroam/roaming';

/**
 * Every change an operator makes to a user's roaming data becomes a security.operator-action event for audit,
 * naming the operator of the verified grant. The change is already made when this runs: a lost event is an
 * error the operator sees (the command fails and says so), never a silent gap.
 */
@Injectable()
export class OperatorAudit {
  constructor(private readonly events: EventPublisher) {}

  async operatorAction(
    request: RpcRequest<'directory.purge-user'>,
    removed: number,
    meta: RpcCallMeta,
  ): Promise<void> {
    const grant = meta.grant;
    if (grant?.opr === undefined)
      throw new RoamingError('FORBIDDEN', 'an operator action needs an operator grant');
    const event = createEvent(
      'security.operator-action',
      {
        correlationId: meta.correlationId,
        user: grant.usr.login,
        machine: null,
        payload: {
          operator: grant.opr,
          operation: 'directory.purge-user',
          targetDn: request.userDn,
          types: request.types,
          removed,
        },
      },
      { id: randomUUID(), now: Date.now() },
    );
    if (!event.ok) throw RoamingError.fromInfo(event.error);
    await this.events.publish(event.value);
  }
}
