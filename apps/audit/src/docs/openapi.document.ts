import { z } from 'zod';
import {
  certificatePageSchema,
  certificatesQuerySchema,
  certificatesSummaryQuerySchema,
  certificatesSummarySchema,
  errorBodySchema,
  eventPageSchema,
  exportQuerySchema,
  fleetQuerySchema,
  fleetSummarySchema,
  healthSchema,
  listQuerySchema,
  streamQuerySchema,
  userSummarySchema,
} from '../contract/audit-api.schemas';

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonObject {
  const document = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonObject;
  delete document.$schema;
  return document;
}

/** Query parameters from a strict object schema: each key with its description; the values travel as strings. */
function queryParameters(schema: z.ZodObject): JsonObject[] {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    description: (field as z.ZodType).description ?? '',
    schema: { type: 'string' },
  }));
}

const errors = {
  '400': {
    description: 'Invalid parameter, INVALID_INPUT (the message names the parameter and the rule).',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '401': {
    description: 'Missing or wrong operator token.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '415': {
    description: 'A request body: no route of this API takes one.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '503': {
    description: 'The database or the broker is unavailable.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
};

const json = (ref: string, description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

/** The OpenAPI 3.1 document of audit's HTTP API, generated from the zod schemas the controllers validate with. */
export function buildOpenApiDocument(): JsonObject {
  const secured = { security: [{ operatorToken: [] }] };
  return {
    openapi: '3.1.0',
    info: {
      title: 'credroam audit',
      version: '1',
      description:
        'Every roaming event, stored, queryable, streamed live and measured. /v1 needs the read-only operator token ' +
        '(Authorization: Bearer …). Events carry metadata and hashes only, never token contents. Every refusal, an ' +
        'unknown route (404 NOT_FOUND) included, is a problem body with its code and correlation id (also in ' +
        'X-Correlation-Id).',
    },
    servers: [{ url: 'http://127.0.0.1:8441' }],
    components: {
      securitySchemes: { operatorToken: { type: 'http', scheme: 'bearer' } },
      schemas: {
        EventPage: jsonSchema(eventPageSchema),
        UserSummary: jsonSchema(userSummarySchema),
        FleetSummary: jsonSchema(fleetSummarySchema),
        CertificatePage: jsonSchema(certificatePageSchema),
        CertificatesSummary: jsonSchema(certificatesSummarySchema),
        Health: jsonSchema(healthSchema),
        Error: jsonSchema(errorBodySchema),
      },
    },
    paths: {
      '/v1/events': {
        get: {
          summary: 'Events, newest first, filtered, with cursor pagination.',
          ...secured,
          parameters: queryParameters(listQuerySchema),
          responses: { '200': json('EventPage', 'A page of events.'), ...errors },
        },
      },
      '/v1/events/export': {
        get: {
          summary: 'Every matching event as a CSV or NDJSON download, newest first.',
          ...secured,
          parameters: queryParameters(exportQuerySchema),
          responses: {
            '200': {
              description: 'The export, streamed.',
              content: {
                'text/csv': { schema: { type: 'string' } },
                'application/x-ndjson': { schema: { type: 'string' } },
              },
            },
            ...errors,
          },
        },
      },
      '/v1/stream': {
        get: {
          summary:
            'Live Server-Sent Events: "ready" once subscribed, then one "audit-event" frame (the event envelope as JSON) per matching event.',
          ...secured,
          parameters: queryParameters(streamQuerySchema),
          responses: {
            '200': {
              description: 'An endless event stream.',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errors,
          },
        },
      },
      '/v1/users/{user}/summary': {
        get: {
          summary:
            "One user's tokens by type, last sync per machine, open conflicts, rejections and limit hits.",
          ...secured,
          parameters: [
            {
              name: 'user',
              in: 'path',
              required: true,
              description: 'Login name.',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': json('UserSummary', 'The summary (empty for a user audit has not seen).'),
            ...errors,
          },
        },
      },
      '/v1/fleet/summary': {
        get: {
          summary:
            'Syncs over time, failures by code, totals and top users in a window (default: the last hour).',
          ...secured,
          parameters: queryParameters(fleetQuerySchema),
          responses: { '200': json('FleetSummary', 'The summary.'), ...errors },
        },
      },
      '/v1/certificates': {
        get: {
          summary:
            'The certificate inventory: certificates that roam now, for whom, soonest expiry first, filtered (expiring within N days, expired, weak, a user, text).',
          ...secured,
          parameters: queryParameters(certificatesQuerySchema),
          responses: { '200': json('CertificatePage', 'The matching certificates.'), ...errors },
        },
      },
      '/v1/certificates/summary': {
        get: {
          summary:
            'Inventory counts (total, expired, weak, expiring within 7 and 30 days) and expiries per week.',
          ...secured,
          parameters: queryParameters(certificatesSummaryQuerySchema),
          responses: {
            '200': json('CertificatesSummary', 'The summary, fleet-wide or for one user.'),
            ...errors,
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (no token: labels never name users or machines).',
          responses: {
            '200': {
              description: 'Prometheus text format.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/health/live': { get: { summary: 'Liveness.', responses: { '200': json('Health', 'Running.') } } },
      '/health/ready': {
        get: {
          summary: 'Readiness: the database and the broker answer.',
          responses: {
            '200': json('Health', 'Ready.'),
            '503': json('Health', 'Not ready; `error` says why.'),
          },
        },
      },
      '/': {
        get: {
          summary:
            'The dashboard page (static HTML and JS; the operator token is typed in and kept in sessionStorage).',
          responses: {
            '200': { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
