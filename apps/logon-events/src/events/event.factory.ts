import { randomUUID } from 'node:crypto';
import { createEvent, unwrap, type EventFields, type EventType, type RoamingEvent } from '@credroam/roaming';
import { type Clock } from '../repositories/logon.repositories';

/** Builds catalog events (validated by createEvent) with fresh ids and the service clock. */
export class EventFactory {
  constructor(private readonly clock: Clock) {}

  event<T extends EventType>(type: T, fields: EventFields<T>): RoamingEvent {
    return unwrap(createEvent(type, fields, { id: randomUUID(), now: this.clock.now() }));
  }
}
