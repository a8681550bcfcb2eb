import { type EventEnvelope } from '@credroam/roaming';
import { z } from 'zod';
import {
  eventFilterShape,
  filterConditions,
  matchesFilter,
  toEventFilter,
  type EventFilter,
} from './event-filter';

const querySchema = z.object(eventFilterShape).strict();
const parse = (query: Record<string, string | string[]>) => toEventFilter(querySchema.parse(query));

const envelope = (overrides: Partial<EventEnvelope> = {}): EventEnvelope => ({
  id: '3b241101-e2bb-4255-8caf-4136c566a962',
  type: 'token.uploaded',
  version: 1,
  occurredAt: '2026-03-14T08:30:00.000Z',
  correlationId: 'c-1',
  user: 'alice',
  machine: 'WS-1',
  code: 1,
  payload: {},
  ...overrides,
});

describe('event filters', () => {
  it('parses lists, families, codes and the time range from query parameters', () => {
    expect(
      parse({
        user: 'alice',
        type: 'sync.completed, token.*',
        code: ['1001', '1005,1001'],
        from: '2026-03-14T00:00:00Z',
        to: '2026-03-15T00:00:00Z',
      }),
    ).toEqual({
      user: 'alice',
      types: ['sync.completed'],
      typePrefixes: ['token.'],
      codes: [1001, 1005],
      from: Date.UTC(2026, 2, 14),
      to: Date.UTC(2026, 2, 15),
    });
  });

  it('refuses what no event could match, and a scalar given twice', () => {
    expect(querySchema.safeParse({ type: "sync'; DROP TABLE audit_event; --" }).success).toBe(false);
    expect(querySchema.safeParse({ code: '7' }).success).toBe(false);
    expect(querySchema.safeParse({ from: '2026-03-14' }).success).toBe(false);
    expect(querySchema.safeParse({ user: ['alice', 'bob'] }).success).toBe(false);
    expect(querySchema.safeParse({ machine: '../etc' }).success).toBe(false);
    expect(querySchema.safeParse({ type: '' }).success).toBe(false);
  });

  it('turns a filter into fixed SQL with every value as a parameter', () => {
    const filter: EventFilter = {
      user: "o'brien",
      machine: 'WS-1',
      types: ['sync.completed', 'sync.failed'],
      typePrefixes: ['token.'],
      codes: [1001],
      correlationId: 'c-1',
      from: 1,
      to: 2,
    };
    const conditions = filterConditions(filter);
    expect(conditions.map((condition) => condition.sql)).toEqual([
      'e.user_name = :user',
      'e.machine = :machine',
      '(e.type IN (:...types) OR e.type LIKE :typePrefix0)',
      'e.code IN (:...codes)',
      'e.correlation_id = :correlationId',
      'e.occurred_at >= :from',
      'e.occurred_at < :to',
    ]);
    expect(Object.assign({}, ...conditions.map((condition) => condition.params))).toEqual({
      user: "o'brien",
      machine: 'WS-1',
      types: ['sync.completed', 'sync.failed'],
      typePrefix0: 'token.%',
      codes: [1001],
      correlationId: 'c-1',
      from: 1,
      to: 2,
    });
    expect(filterConditions({})).toEqual([]);
  });

  it('matches in memory exactly as the SQL selects: exact fields, families, codes, from inclusive, to exclusive', () => {
    const at = Date.parse('2026-03-14T08:30:00.000Z');
    const event = envelope();
    expect(matchesFilter({}, event)).toBe(true);
    expect(matchesFilter({ user: 'alice', machine: 'WS-1', codes: [1, 501] }, event)).toBe(true);
    expect(matchesFilter({ user: 'bob' }, event)).toBe(false);
    expect(matchesFilter({ typePrefixes: ['token.'] }, event)).toBe(true);
    expect(matchesFilter({ types: ['sync.completed'] }, event)).toBe(false);
    expect(matchesFilter({ types: ['sync.completed'], typePrefixes: ['token.'] }, event)).toBe(true);
    expect(matchesFilter({ codes: [1001] }, event)).toBe(false);
    expect(matchesFilter({ correlationId: 'c-2' }, event)).toBe(false);
    expect(matchesFilter({ from: at, to: at + 1 }, event)).toBe(true);
    expect(matchesFilter({ to: at }, event)).toBe(false);
    expect(matchesFilter({ user: 'alice' }, envelope({ user: null }))).toBe(false);
  });
});
