import {
  parseWith,
  unwrap,
  workstationEventRequestSchema,
  type WorkstationEventResponse,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import { type Clock, type EventSink, type LogSink } from '../repositories/logon.repositories';
import { type SessionClaims } from '../sessions/session-token';

/**
 * Failures met on a workstation (unreadable store, unusable state file ...) reported by its agent, published as
 * `workstation.failure-reported` so the audit shows what went wrong on a machine. The user and machine are the
 * session's; the body says only what happened.
 */
export class WorkstationEventsService {
  private readonly factory: EventFactory;

  constructor(private readonly deps: { events: EventSink; clock: Clock; log: LogSink }) {
    this.factory = new EventFactory(deps.clock);
  }

  async report(
    claims: SessionClaims,
    body: unknown,
    correlationId: string,
  ): Promise<WorkstationEventResponse> {
    const payload = unwrap(parseWith(workstationEventRequestSchema, body, 'INVALID_INPUT'));
    const event = this.factory.event('workstation.failure-reported', {
      correlationId,
      user: claims.login,
      machine: claims.machine,
      payload,
    });
    // Unlike the events of a sync, this one is the whole answer: a lost publish fails the report.
    await this.deps.events.publishAll([event]);
    this.deps.log.info(
      { correlationId, user: claims.login, machine: claims.machine, code: payload.code },
      'workstation failure reported',
    );
    return { eventId: event.id };
  }
}
