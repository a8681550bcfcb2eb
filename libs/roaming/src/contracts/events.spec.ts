import {
  createEvent,
  EVENT_CATALOG,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  EVENTS_EXCHANGE,
  eventEnvelopeSchema,
  parseEvent,
  type EventType,
  type RoamingEvent,
} from './events';
import { CERTIFICATE_ID, EVENT_ID, NOW } from './testing/contract-examples';
import { EVENT_EXAMPLES } from './testing/event-examples';

const context = { id: EVENT_ID, now: NOW };

function build<T extends EventType>(type: T): RoamingEvent {
  const created = createEvent(type, EVENT_EXAMPLES[type], context);
  if (!created.ok) throw new Error(`${type}: ${created.error.message}`);
  return created.value;
}

/** A received event, as JSON that a producer (or an attacker on the broker) could have sent. */
function wire<T extends EventType>(type: T): Record<string, unknown> & { payload: Record<string, unknown> } {
  return JSON.parse(JSON.stringify(build(type)));
}

function expectCode(input: unknown, code: string): void {
  const parsed = parseEvent(input);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.error.code).toBe(code);
}

describe('event catalog', () => {
  it('publishes on credroam.events with the event type as routing key', () => {
    expect(EVENTS_EXCHANGE).toBe('credroam.events');
    expect(EVENT_TYPES).toEqual(Object.keys(EVENT_SCHEMAS));
  });

  it('names every event type as dotted kebab-case, with a version and at least one code', () => {
    for (const type of EVENT_TYPES) {
      expect(type).toMatch(/^[a-z]+\.[a-z-]+$/);
      expect(EVENT_CATALOG[type].version).toBeGreaterThanOrEqual(1);
      expect(EVENT_CATALOG[type].codes.length).toBeGreaterThan(0);
    }
  });

  it.each(EVENT_TYPES.map((type) => [type]))(
    'builds a realistic %s event that parses back unchanged',
    (type) => {
      const event = build(type);
      expect(event).toMatchObject({ id: EVENT_ID, type, occurredAt: '2026-03-14T08:30:00.000Z' });
      expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual({ ok: true, value: event });
      expect(eventEnvelopeSchema.safeParse(event).success).toBe(true);
    },
  );
});

describe('event payloads carry no secret', () => {
  it.each([
    ['token.uploaded', 'content'],
    ['token.downloaded', 'envelope'],
    ['session.opened', 'password'],
    ['session.opened', 'sessionToken'],
    ['sync.failed', 'stack'],
    ['message.dead-lettered', 'body'],
  ] as const)('refuses a %s payload with a smuggled %s field', (type, field) => {
    const event = wire(type);
    event.payload[field] = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    expectCode(event, 'CONTRACT_VIOLATION');
  });

  it('refuses an unknown field on the envelope itself', () => {
    expectCode({ ...wire('sync.started'), sealedPassword: 'c2VjcmV0' }, 'CONTRACT_VIOLATION');
  });

  it('refuses a smuggled field nested inside a conflict version', () => {
    const event = wire('token.conflict');
    (event.payload.local as Record<string, unknown>).content = 'secret';
    expectCode(event, 'CONTRACT_VIOLATION');
  });
});

describe('event validation', () => {
  it('refuses a token event whose id breaks the per-type whitelist, as INVALID_TOKEN_ID', () => {
    const event = wire('token.downloaded');
    event.payload.type = 'private-key';
    event.payload.id = '..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat';
    expectCode(event, 'INVALID_TOKEN_ID');
  });

  it('refuses a conflict about a lower-case thumbprint, as INVALID_TOKEN_ID', () => {
    const event = wire('token.conflict');
    event.payload.id = CERTIFICATE_ID.toLowerCase();
    expectCode(event, 'INVALID_TOKEN_ID');
  });

  it.each([
    ['an unknown type', { type: 'token.stolen' }],
    ['an unknown version', { version: 2 }],
    ['a code the type does not allow', { code: 1001 }],
    ['an id that is not a UUID', { id: 'event-1' }],
    ['a local time with an offset', { occurredAt: '2026-03-14T09:30:00+01:00' }],
    ['a login with a line break', { user: 'alice\nINFO forged' }],
    ['a machine id starting with a dot', { machine: '..' }],
    ['a correlation id with spaces', { correlationId: 'a b' }],
    ['no user on a sync event', { user: null }],
    ['no machine on a sync event', { machine: null }],
  ])('refuses an event with %s', (_label, change) => {
    expectCode({ ...wire('sync.started'), ...change }, 'CONTRACT_VIOLATION');
  });

  it('refuses a sync.failed whose code does not match its error', () => {
    expectCode({ ...wire('sync.failed'), code: 1001 }, 'CONTRACT_VIOLATION');
  });

  it('refuses a limit event whose actual value is within the limit', () => {
    const event = wire('policy.limit-exceeded');
    event.payload.actual = 400;
    expectCode(event, 'CONTRACT_VIOLATION');
  });

  it('refuses an up-to-date sync that claims to have changed something', () => {
    const event = wire('sync.completed');
    event.payload.upToDate = true;
    expectCode(event, 'CONTRACT_VIOLATION');
  });

  it('refuses a write retry for an error that is not retryable', () => {
    const event = wire('directory.write-retried');
    event.payload.reason = 'DIRECTORY_SCHEMA_MISSING';
    expectCode(event, 'CONTRACT_VIOLATION');
  });

  it('accepts a dead-letter event that names no user or machine', () => {
    expect(parseEvent(wire('message.dead-lettered')).ok).toBe(true);
  });

  it('keeps an event of a newer version storable through the generic envelope', () => {
    const newer = { ...wire('sync.started'), version: 2, payload: { trigger: 'logon', extra: 1 } };
    expect(parseEvent(newer).ok).toBe(false);
    expect(eventEnvelopeSchema.safeParse(newer).success).toBe(true);
  });
});

describe('createEvent', () => {
  it('derives the Windows code from the payload where the catalog defines it', () => {
    const failed = (code: 'DIRECTORY_STAMP_CHANGED' | 'DIRECTORY_SCHEMA_MISSING' | 'TOKEN_LIMIT_EXCEEDED') =>
      createEvent(
        'sync.failed',
        {
          ...EVENT_EXAMPLES['sync.failed'],
          payload: { ...EVENT_EXAMPLES['sync.failed'].payload, error: { code, message: 'x' } },
        },
        context,
      );
    expect(failed('DIRECTORY_STAMP_CHANGED')).toMatchObject({ ok: true, value: { code: 1005 } });
    expect(failed('DIRECTORY_SCHEMA_MISSING')).toMatchObject({ ok: true, value: { code: 1012 } });
    expect(failed('TOKEN_LIMIT_EXCEEDED')).toMatchObject({ ok: true, value: { code: 1008 } });
    expect(createEvent('token.conflict', EVENT_EXAMPLES['token.conflict'], context)).toMatchObject({
      value: { code: 501 },
    });
    const sizeLimit = { ...EVENT_EXAMPLES['policy.limit-exceeded'] };
    sizeLimit.payload = { limit: 'maxTokenBytes', allowed: 65535, actual: 70000 };
    expect(createEvent('policy.limit-exceeded', sizeLimit, context)).toMatchObject({ value: { code: 1011 } });
  });

  it('reports a foreign value as information and an unsafe one as a directory read failure', () => {
    const reported = EVENT_EXAMPLES['token.reported'];
    expect(createEvent('token.reported', reported, context)).toMatchObject({ value: { code: 1004 } });
    const foreign = { ...reported, payload: { ...reported.payload, reason: 'foreign' as const } };
    expect(createEvent('token.reported', foreign, context)).toMatchObject({ value: { code: 1 } });
  });

  it('requires an explicit code where the payload does not decide it', () => {
    const withoutCode = { ...EVENT_EXAMPLES['sync.completed'] };
    delete withoutCode.code;
    const created = createEvent('sync.completed', withoutCode, context);
    expect(created).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
    if (!created.ok) expect(created.error.message).toMatch(/^code:/);
    const selfHealed = { ...EVENT_EXAMPLES['sync.completed'], code: 2 as const };
    expect(createEvent('sync.completed', selfHealed, context)).toMatchObject({
      ok: true,
      value: { code: 2 },
    });
  });

  it('refuses a code that contradicts the payload', () => {
    const created = createEvent('sync.failed', { ...EVENT_EXAMPLES['sync.failed'], code: 1001 }, context);
    expect(created).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
  });

  it('validates what it builds, naming the field', () => {
    const payload = { ...EVENT_EXAMPLES['token.uploaded'].payload, hash: 'not-a-hash' };
    const created = createEvent('token.uploaded', { ...EVENT_EXAMPLES['token.uploaded'], payload }, context);
    expect(created).toMatchObject({ ok: false, error: { code: 'INVALID_TOKEN_HASH' } });
    if (!created.ok) expect(created.error.message).toMatch(/^payload\.hash:/);
  });

  it('takes its id and clock from the caller and refuses an unusable clock reading', () => {
    expect(
      createEvent('sync.started', EVENT_EXAMPLES['sync.started'], { id: EVENT_ID, now: new Date(NOW) }),
    ).toEqual(createEvent('sync.started', EVENT_EXAMPLES['sync.started'], context));
    expect(
      createEvent('sync.started', EVENT_EXAMPLES['sync.started'], { id: EVENT_ID, now: Number.NaN }),
    ).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
    expect(
      createEvent('sync.started', EVENT_EXAMPLES['sync.started'], { id: 'not-random-enough', now: NOW }),
    ).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
  });

  it('refuses an event type outside the catalog', () => {
    const created = createEvent(
      'token.stolen' as EventType,
      EVENT_EXAMPLES['sync.started'] as never,
      context,
    );
    expect(created).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
  });
});
