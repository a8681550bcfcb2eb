import {
  AGENT_API_PATHS,
  changeNoticeSchema,
  createSessionRequestSchema,
  createSessionResponseSchema,
  kerberosSessionRequestSchema,
  kerberosSessionResponseSchema,
  policyResponseSchema,
  problemSchema,
  renewSessionRequestSchema,
  renewSessionResponseSchema,
  syncCheckRequestSchema,
  syncCheckResponseSchema,
  syncRequestSchema,
  syncResponseSchema,
  waitForChangeRequestSchema,
  workstationEventRequestSchema,
  workstationEventResponseSchema,
} from '@credroam/roaming';
import { METRICS_OPENAPI_PATH } from '@credroam/observability';
import { z } from 'zod';

// Refinements (exactly one password field, uploads listed in the manifest) are checked at runtime and described
// in the schema descriptions only; JSON Schema cannot say them.
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<
    string,
    unknown
  >;
}

const problem = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const errors = {
  '400': problem('Invalid request'),
  '401': problem('Missing, forged or expired session token, or wrong credentials'),
  '429': problem('Rate limited; see Retry-After'),
  '503': problem('A backing service is unavailable'),
};

/** The OpenAPI document served at /docs, generated from the zod contracts of libs/roaming. */
export function openApiDocument(): Record<string, unknown> {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const bearer = [{ session: [] }];
  return {
    openapi: '3.0.3',
    info: {
      title: 'credroam logon-events',
      version: '1',
      description: 'The agent protocol (DESIGN.md section 6).',
    },
    paths: {
      [AGENT_API_PATHS.sessions]: {
        post: {
          summary: 'Log on: authenticate, register the device key, get a session token',
          requestBody: { required: true, content: json('CreateSessionRequest') },
          responses: {
            '201': { description: 'Session created', content: json('CreateSessionResponse') },
            ...errors,
          },
        },
      },
      [AGENT_API_PATHS.kerberosSessions]: {
        post: {
          summary:
            'Log on with a Kerberos ticket instead of a password (SPNEGO, RFC 4559): `Authorization: Negotiate ' +
            '<token>` for the service principal CREDROAM_KERBEROS_SERVICE_PRINCIPAL; the client principal ' +
            'login@REALM names the user (realm CREDROAM_KERBEROS_REALM only); the device key is registered as in ' +
            'a password logon. The 201 carries `WWW-Authenticate: Negotiate <token>` for mutual authentication. ' +
            '401 KERBEROS_REFUSED (ticket invalid, expired, replayed, for another service; account missing, ' +
            'disabled or locked), 401 KERBEROS_FOREIGN_REALM, 501 KERBEROS_NOT_CONFIGURED (no keytab)',
          security: [{ negotiate: [] }],
          requestBody: { required: true, content: json('KerberosSessionRequest') },
          responses: {
            '201': { description: 'Session created', content: json('KerberosSessionResponse') },
            ...errors,
            '501': problem('This service has no keytab configured (KERBEROS_NOT_CONFIGURED)'),
          },
        },
      },
      [AGENT_API_PATHS.renewSession]: {
        post: {
          summary:
            'Renew a session (expired or not) with a device proof over the token, never the password; refused ' +
            'when the directory account is disabled, locked, gone or its password changed, or past policy ' +
            'sessionRenewalHours since the password logon',
          requestBody: { required: true, content: json('RenewSessionRequest') },
          responses: {
            '200': { description: 'A new session', content: json('RenewSessionResponse') },
            ...errors,
          },
        },
      },
      [AGENT_API_PATHS.sync]: {
        post: {
          summary: 'Run one sync for the session',
          security: bearer,
          requestBody: { required: true, content: json('SyncRequest') },
          responses: { '200': { description: 'Sync answer', content: json('SyncResponse') }, ...errors },
        },
      },
      [AGENT_API_PATHS.syncCheck]: {
        post: {
          summary:
            'A steady logon: with nothing changed on the workstation since a settled sync, up-to-date (the sync ' +
            'is done) while the directory stamp, the policy and the base age are that sync’s, else changed (send ' +
            'the manifest to /v1/sync)',
          security: bearer,
          requestBody: { required: true, content: json('SyncCheckRequest') },
          responses: {
            '200': { description: 'Check answer', content: json('SyncCheckResponse') },
            ...errors,
          },
        },
      },
      [AGENT_API_PATHS.events]: {
        post: {
          summary: 'Report a failure met on the workstation (Windows codes 1001-1007), for the audit',
          security: bearer,
          requestBody: { required: true, content: json('WorkstationEventRequest') },
          responses: {
            '202': { description: 'Published', content: json('WorkstationEventResponse') },
            ...errors,
          },
        },
      },
      [AGENT_API_PATHS.changes]: {
        post: {
          summary:
            "Long poll: answers when another workstation of the session's user has changed the directory after " +
            '`after`, or with changed: false after waitSeconds; the watch daemon then syncs at once',
          security: bearer,
          requestBody: { required: true, content: json('WaitForChangeRequest') },
          responses: { '200': { description: 'Change notice', content: json('ChangeNotice') }, ...errors },
        },
      },
      [AGENT_API_PATHS.policy]: {
        get: {
          summary: "The session user's effective policy",
          security: bearer,
          responses: {
            '200': { description: 'Effective policy', content: json('PolicyResponse') },
            ...errors,
          },
        },
      },
      '/health/live': { get: { summary: 'Liveness', responses: { '200': { description: 'Alive' } } } },
      '/health/ready': {
        get: {
          summary: "Readiness (@nestjs/terminus' result): broker, directory-gateway, token-crypto",
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
        },
      },
      '/metrics': METRICS_OPENAPI_PATH,
    },
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer' },
        negotiate: { type: 'http', scheme: 'negotiate' },
      },
      schemas: {
        CreateSessionRequest: jsonSchema(createSessionRequestSchema, 'input'),
        CreateSessionResponse: jsonSchema(createSessionResponseSchema, 'output'),
        KerberosSessionRequest: jsonSchema(kerberosSessionRequestSchema, 'input'),
        KerberosSessionResponse: jsonSchema(kerberosSessionResponseSchema, 'output'),
        RenewSessionRequest: jsonSchema(renewSessionRequestSchema, 'input'),
        RenewSessionResponse: jsonSchema(renewSessionResponseSchema, 'output'),
        WorkstationEventRequest: jsonSchema(workstationEventRequestSchema, 'input'),
        WorkstationEventResponse: jsonSchema(workstationEventResponseSchema, 'output'),
        SyncRequest: jsonSchema(syncRequestSchema, 'input'),
        SyncResponse: jsonSchema(syncResponseSchema, 'output'),
        SyncCheckRequest: jsonSchema(syncCheckRequestSchema, 'input'),
        SyncCheckResponse: jsonSchema(syncCheckResponseSchema, 'output'),
        PolicyResponse: jsonSchema(policyResponseSchema, 'output'),
        WaitForChangeRequest: jsonSchema(waitForChangeRequestSchema, 'input'),
        ChangeNotice: jsonSchema(changeNoticeSchema, 'output'),
        Problem: jsonSchema(problemSchema, 'output'),
      },
    },
  };
}
