import {
  ALL_EVENT_CODES,
  correlationIdSchema,
  isoInstantSchema,
  loginNameSchema,
  machineIdSchema,
  type EventEnvelope,
} from '@credroam/roaming';
import { z } from 'zod';

/**
 * The filters shared by the query API, the exports and the live stream. Each is optional; given together they
 * all apply. `type` and `code` take comma-separated lists; a type may end in `.*` to name a family
 * (`token.*`). Times are ISO-8601 UTC instants, `from` inclusive and `to` exclusive.
 */
export interface EventFilter {
  user?: string;
  machine?: string;
  types?: string[];
  typePrefixes?: string[];
  codes?: number[];
  correlationId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

const MAX_LIST = 32;
const TYPE = /^[a-z]+(?:[.-][a-z]+)*$/;
const TYPE_FAMILY = /^[a-z]+(?:[.-][a-z]+)*\.\*$/;
const KNOWN_CODES: ReadonlySet<number> = new Set(ALL_EVENT_CODES);

/** A query parameter as Express hands it over: absent, once, or repeated. Repeats join like commas. */
const listParam = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value.join(',') : value))
  .transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  )
  .pipe(z.array(z.string()).min(1, { message: 'must name at least one value' }).max(MAX_LIST));

const single = <S extends z.ZodType<string, string>>(schema: S) =>
  z
    .union([z.string(), z.array(z.string())])
    .refine((value) => !Array.isArray(value), { message: 'must be given once', abort: true })
    .pipe(schema);

const typeList = listParam.pipe(
  z.array(
    z
      .string()
      .max(66)
      .refine((item) => TYPE.test(item) || TYPE_FAMILY.test(item), {
        message: 'must be an event type such as sync.completed, or a family such as token.*',
      }),
  ),
);

const codeList = listParam.pipe(
  z.array(
    z
      .string()
      .regex(/^\d{1,4}$/, { message: 'must be event codes such as 1001' })
      .transform(Number)
      .refine((code) => KNOWN_CODES.has(code), {
        message: `must be one of the event codes ${[...KNOWN_CODES].join(', ')}`,
      }),
  ),
);

/** The filter query parameters; the OpenAPI document is generated from this shape. */
export const eventFilterShape = {
  user: single(loginNameSchema).optional().describe('Login name, exact.'),
  machine: single(machineIdSchema).optional().describe('Machine id, exact.'),
  type: typeList
    .optional()
    .describe('Event types, comma-separated; a family with ".*", e.g. "sync.completed,token.*".'),
  code: codeList.optional().describe('Windows-style event codes, comma-separated, e.g. "1001,1005".'),
  correlationId: single(correlationIdSchema).optional().describe('Correlation id, exact.'),
  from: single(isoInstantSchema).optional().describe('Inclusive start, ISO-8601 UTC.'),
  to: single(isoInstantSchema).optional().describe('Exclusive end, ISO-8601 UTC.'),
};

export type EventFilterQuery = z.output<z.ZodObject<typeof eventFilterShape>>;

/** Turns validated query parameters into a filter; `from` must precede `to`. */
export function toEventFilter(query: EventFilterQuery): EventFilter {
  const filter: EventFilter = {};
  if (query.user !== undefined) filter.user = query.user;
  if (query.machine !== undefined) filter.machine = query.machine;
  if (query.type) {
    const exact = query.type.filter((item) => !item.endsWith('.*'));
    const families = query.type.filter((item) => item.endsWith('.*')).map((item) => item.slice(0, -1));
    if (exact.length > 0) filter.types = [...new Set(exact)];
    if (families.length > 0) filter.typePrefixes = [...new Set(families)];
  }
  if (query.code) filter.codes = [...new Set(query.code)];
  if (query.correlationId !== undefined) filter.correlationId = query.correlationId;
  if (query.from !== undefined) filter.from = Date.parse(query.from);
  if (query.to !== undefined) filter.to = Date.parse(query.to);
  return filter;
}

/** One SQL condition over the `e` alias with its named parameters (TypeORM `:name` syntax). */
export interface Condition {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * The WHERE conditions of a filter. Values only ever travel as parameters; the SQL text is fixed per filter
 * field, so no input can change a query's shape.
 */
export function filterConditions(filter: EventFilter): Condition[] {
  const conditions: Condition[] = [];
  if (filter.user !== undefined)
    conditions.push({ sql: 'e.user_name = :user', params: { user: filter.user } });
  if (filter.machine !== undefined)
    conditions.push({ sql: 'e.machine = :machine', params: { machine: filter.machine } });
  const typeParts: string[] = [];
  const typeParams: Record<string, unknown> = {};
  if (filter.types?.length) {
    typeParts.push('e.type IN (:...types)');
    typeParams.types = filter.types;
  }
  filter.typePrefixes?.forEach((prefix, index) => {
    // The type grammar has no "%" or "_", so a prefix needs no LIKE escaping.
    typeParts.push(`e.type LIKE :typePrefix${index}`);
    typeParams[`typePrefix${index}`] = `${prefix}%`;
  });
  if (typeParts.length > 0) conditions.push({ sql: `(${typeParts.join(' OR ')})`, params: typeParams });
  if (filter.codes?.length)
    conditions.push({ sql: 'e.code IN (:...codes)', params: { codes: filter.codes } });
  if (filter.correlationId !== undefined)
    conditions.push({
      sql: 'e.correlation_id = :correlationId',
      params: { correlationId: filter.correlationId },
    });
  if (filter.from !== undefined)
    conditions.push({ sql: 'e.occurred_at >= :from', params: { from: filter.from } });
  if (filter.to !== undefined) conditions.push({ sql: 'e.occurred_at < :to', params: { to: filter.to } });
  return conditions;
}

/** The same filter in memory, for the live stream: an event matches exactly when the SQL would select it. */
export function matchesFilter(filter: EventFilter, event: EventEnvelope): boolean {
  if (filter.user !== undefined && event.user !== filter.user) return false;
  if (filter.machine !== undefined && event.machine !== filter.machine) return false;
  if (filter.types || filter.typePrefixes) {
    const exact = filter.types?.includes(event.type) ?? false;
    const family = filter.typePrefixes?.some((prefix) => event.type.startsWith(prefix)) ?? false;
    if (!exact && !family) return false;
  }
  if (filter.codes && !filter.codes.includes(event.code)) return false;
  if (filter.correlationId !== undefined && event.correlationId !== filter.correlationId) return false;
  const at = Date.parse(event.occurredAt);
  if (filter.from !== undefined && at < filter.from) return false;
  if (filter.to !== undefined && at >= filter.to) return false;
  return true;
}
