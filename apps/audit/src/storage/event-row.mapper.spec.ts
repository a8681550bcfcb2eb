import { createEvent, type EventEnvelope } from '@credroam/roaming';
import { EVENT_EXAMPLES } from '@credroam/roaming/contracts/testing/event-examples';
import { EVENT_ID, NOW } from '@credroam/roaming/contracts/testing/contract-examples';
import { toRow, toStoredEvent } from './event-row.mapper';

function example<T extends keyof typeof EVENT_EXAMPLES>(type: T): EventEnvelope {
  const built = createEvent(type, EVENT_EXAMPLES[type], { id: EVENT_ID, now: NOW });
  if (!built.ok) throw new Error(built.error.message);
  return built.value as EventEnvelope;
}

describe('event rows', () => {
  it('round-trips an envelope through its row, adding when it was received', () => {
    const event = example('sync.completed');
    const row = toRow(event, NOW + 5);
    expect(row).toMatchObject({
      id: EVENT_ID,
      occurredAt: NOW,
      receivedAt: NOW + 5,
      code: 1,
      tokenType: null,
    });
    expect(toStoredEvent(row)).toEqual({ ...event, receivedAt: new Date(NOW + 5).toISOString() });
  });

  it('lifts the token key and size out of token events for the summaries', () => {
    expect(toRow(example('token.uploaded'), NOW)).toMatchObject({
      tokenType: 'certificate',
      tokenId: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620',
      tokenSize: 1342,
    });
    expect(toRow(example('token.rejected'), NOW)).toMatchObject({
      tokenType: 'private-key',
      tokenSize: null,
    });
  });

  it('reads the payload of an unknown version defensively', () => {
    const strange = { ...example('token.uploaded'), version: 9, payload: { type: 'virus', id: 5, size: -1 } };
    expect(toRow(strange, NOW)).toMatchObject({ tokenType: null, tokenId: null, tokenSize: null });
    const control = {
      ...example('token.uploaded'),
      version: 9,
      payload: { type: 'certificate', id: 'a\u0000b', size: 2 ** 40 },
    };
    expect(toRow(control, NOW)).toMatchObject({ tokenType: 'certificate', tokenId: null, tokenSize: null });
  });
});
