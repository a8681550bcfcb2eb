import { decodeCursor, encodeCursor } from './event-cursor';

describe('event cursor', () => {
  const cursor = { occurredAt: Date.UTC(2026, 2, 14, 8, 30), id: '3b241101-e2bb-4255-8caf-4136c566a962' };

  it('round-trips a position as an opaque URL-safe token', () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['another version', Buffer.from(`v2:${cursor.occurredAt}:${cursor.id}`).toString('base64url')],
    ['a non-UUID id', Buffer.from(`v1:${cursor.occurredAt}:1 OR 1=1`).toString('base64url')],
    ['a time beyond 2^53', Buffer.from(`v1:9999999999999999:${cursor.id}`).toString('base64url')],
    ['too long', 'A'.repeat(200)],
  ])('refuses %s with INVALID_INPUT', (_label, text) => {
    expect(() => decodeCursor(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
