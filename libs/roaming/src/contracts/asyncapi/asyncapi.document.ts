import { z } from 'zod';
import { EVENT_CODE_INFO } from '../event-codes';
import { EVENT_CATALOG, EVENT_SCHEMAS, EVENT_TYPES, EVENTS_EXCHANGE, type EventType } from '../events';
import {
  INGRESS_EXCHANGE,
  INGRESS_PROOF_HEADERS,
  INGRESS_QUEUE,
  INGRESS_ROUTING_KEY,
  ingressMessageSchema,
  ingressReplySchemas,
} from '../sync';
import {
  RPC_CONTRACTS,
  RPC_PATTERN_LIST,
  RPC_QUEUES,
  rpcReplySchema,
  rpcRequestSchema,
  type RpcPattern,
  type RpcService,
} from '../rpc';

type Json = Record<string, unknown>;

/** The AsyncAPI Schema format is a superset of JSON Schema draft-07; refinements live in descriptions only. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-7' }) as Json;
  delete converted.$schema;
  return converted;
}

/** `sync.completed` → `SyncCompleted`: AsyncAPI component keys allow letters, digits, `.`, `-` and `_`. */
function componentName(name: string): string {
  return name
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function eventMessage(type: EventType): Json {
  const definition = EVENT_CATALOG[type];
  const codes = definition.codes.map((code) => `${code} (${EVENT_CODE_INFO[code].name})`).join(', ');
  return {
    name: type,
    title: type,
    summary: definition.summary,
    description: `Routing key \`${type}\`, version ${definition.version}. Codes: ${codes}.`,
    contentType: 'application/json',
    headers: { $ref: '#/components/schemas/TraceHeaders' },
    payload: jsonSchema(EVENT_SCHEMAS[type]),
  };
}

/** Nest's RMQ transport wraps each request in `{ pattern, id, data }` and each reply in `{ id, response }`. */
function rpcMessages(pattern: RpcPattern): { request: Json; reply: Json } {
  const contract = RPC_CONTRACTS[pattern];
  return {
    request: {
      name: `${pattern} request`,
      title: `${pattern} request`,
      contentType: 'application/json',
      correlationId: { location: '$message.header#/correlation_id' },
      headers: { $ref: '#/components/schemas/TraceHeaders' },
      payload: {
        type: 'object',
        required: ['pattern', 'id', 'data'],
        properties: {
          pattern: { const: pattern },
          id: { type: 'string', description: "The transport's reply correlation id." },
          data: jsonSchema(rpcRequestSchema(contract.request), 'input'),
        },
      },
    },
    reply: {
      name: `${pattern} reply`,
      title: `${pattern} reply`,
      contentType: 'application/json',
      correlationId: { location: '$message.header#/correlation_id' },
      payload: {
        type: 'object',
        required: ['id', 'response'],
        properties: {
          id: { type: 'string' },
          response: jsonSchema(rpcReplySchema(contract.response)),
          isDisposed: { type: 'boolean' },
        },
      },
    },
  };
}

/** The AMQP ingress: the agent protocol over the broker, a request on a direct exchange and a reply to reply_to. */
function addIngress(channels: Json, operations: Json, messages: Json): void {
  messages.AgentRequest = {
    name: 'agent request',
    title: 'agent request',
    summary: 'A transport-certificate, create-session or sync request of the agent protocol.',
    contentType: 'application/json',
    correlationId: { location: '$message.header#/correlation_id' },
    headers: {
      type: 'object',
      properties: {
        [INGRESS_PROOF_HEADERS.issuedAt]: {
          type: 'string',
          description: 'sync only: when the proof was made',
        },
        [INGRESS_PROOF_HEADERS.signature]: { type: 'string', description: 'sync only: the device proof' },
        traceparent: { type: 'string', description: 'W3C Trace Context traceparent.' },
      },
    },
    payload: jsonSchema(ingressMessageSchema, 'input'),
  };
  messages.AgentReply = {
    name: 'agent reply',
    title: 'agent reply',
    summary: 'The serialised Result of the request, by kind.',
    contentType: 'application/json',
    correlationId: { location: '$message.header#/correlation_id' },
    payload: { oneOf: Object.values(ingressReplySchemas).map((schema) => jsonSchema(schema)) },
  };
  channels.Ingress = {
    address: INGRESS_ROUTING_KEY,
    title: 'AMQP ingress',
    description: `Routing key \`${INGRESS_ROUTING_KEY}\` on the direct exchange ${INGRESS_EXCHANGE}, bound to ${INGRESS_QUEUE}.`,
    messages: { AgentRequest: { $ref: '#/components/messages/AgentRequest' } },
    bindings: {
      amqp: {
        is: 'routingKey',
        exchange: { name: INGRESS_EXCHANGE, type: 'direct', durable: true, autoDelete: false, vhost: '/' },
      },
    },
  };
  channels.IngressReplies = {
    address: null,
    title: 'AMQP ingress replies',
    description: "The agent's reply queue, named in reply_to (usually amq.rabbitmq.reply-to).",
    messages: { AgentReply: { $ref: '#/components/messages/AgentReply' } },
  };
  operations.serveAgentRequest = {
    action: 'receive',
    channel: { $ref: '#/channels/Ingress' },
    summary: 'logon-events answers the agent protocol over the broker.',
    messages: [{ $ref: '#/channels/Ingress/messages/AgentRequest' }],
    reply: {
      channel: { $ref: '#/channels/IngressReplies' },
      messages: [{ $ref: '#/channels/IngressReplies/messages/AgentReply' }],
    },
  };
}

/**
 * The AsyncAPI 3 document of credroam's broker traffic, generated from the zod contracts: one channel per event
 * type on the topic exchange (routing key = type), each service's RPC queue with a request and reply message
 * per pattern, and the AMQP ingress of the agent protocol. Names are those of the default namespace `credroam`; another namespace replaces that prefix.
 */
export function buildAsyncApiDocument(version: string): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const type of EVENT_TYPES) {
    const name = componentName(type);
    messages[name] = eventMessage(type);
    channels[name] = {
      address: type,
      title: `${type} events`,
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: EVENTS_EXCHANGE, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
        },
      },
    };
    operations[`publish${name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: EVENT_CATALOG[type].summary,
      messages: [{ $ref: `#/channels/${name}/messages/${name}` }],
    };
  }
  for (const service of Object.keys(RPC_QUEUES) as RpcService[]) {
    const queue = componentName(service);
    const replies = `${queue}Replies`;
    const requestRefs: Json = {};
    const replyRefs: Json = {};
    for (const pattern of RPC_PATTERN_LIST.filter((p) => RPC_CONTRACTS[p].service === service)) {
      const name = componentName(pattern);
      const { request, reply } = rpcMessages(pattern);
      messages[`${name}Request`] = request;
      messages[`${name}Reply`] = reply;
      requestRefs[`${name}Request`] = { $ref: `#/components/messages/${name}Request` };
      replyRefs[`${name}Reply`] = { $ref: `#/components/messages/${name}Reply` };
      operations[`serve${name}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${queue}` },
        summary: `${service} answers ${pattern}.`,
        messages: [{ $ref: `#/channels/${queue}/messages/${name}Request` }],
        reply: {
          channel: { $ref: `#/channels/${replies}` },
          messages: [{ $ref: `#/channels/${replies}/messages/${name}Reply` }],
        },
      };
    }
    channels[queue] = {
      address: RPC_QUEUES[service],
      title: `${service} RPC requests`,
      description: 'Durable queue every replica consumes; each request carries a TTL equal to its timeout.',
      messages: requestRefs,
      bindings: {
        amqp: { is: 'queue', queue: { name: RPC_QUEUES[service], durable: true, exclusive: false } },
      },
    };
    channels[replies] = {
      address: null,
      title: `${service} RPC replies`,
      description: "The caller's reply queue, named in each request's reply_to.",
      messages: replyRefs,
    };
  }
  addIngress(channels, operations, messages);
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'credroam broker API',
      version,
      description:
        'Domain events and internal RPC of credroam on RabbitMQ, generated from libs/roaming contracts ' +
        '(npm run asyncapi). Every message may carry W3C trace context (traceparent, tracestate) in its headers.',
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'localhost:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description: 'RabbitMQ (CREDROAM_AMQP_URL); names are prefixed with CREDROAM_AMQP_NAMESPACE.',
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: {
        TraceHeaders: {
          type: 'object',
          properties: {
            traceparent: { type: 'string', description: 'W3C Trace Context traceparent.' },
            tracestate: { type: 'string', description: 'W3C Trace Context tracestate.' },
          },
        },
      },
    },
  };
}
