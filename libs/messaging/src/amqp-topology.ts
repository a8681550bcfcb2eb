import {
  INGRESS_EXCHANGE,
  INGRESS_QUEUE,
  RPC_PATTERNS,
  RPC_QUEUES,
  type RpcPattern,
  type RpcService,
} from '@credroam/roaming';
import type { Options } from 'amqplib';
import { namespaceSchema, type QueueType } from './amqp.config';

/**
 * Every exchange and queue name is derived from one namespace, so a test run (or a second installation on the
 * same broker) uses its own names and never collides with anyone else's. For the default namespace `credroam`
 * the names are exactly those of the contracts (EVENTS_EXCHANGE, RPC_QUEUES).
 */
export interface AmqpNames {
  namespace: string;
  /** The durable topic exchange of domain events, routing key = event type. */
  eventsExchange: string;
  /** Where given-up messages are routed, keeping their original routing key. */
  deadLetterExchange: string;
  /**
   * Bound to the dead-letter exchange with `#`: every given-up message ends up here for an operator. Named apart
   * from the exchange, so that binding to the exchange does not also grant reading the dead letters.
   */
  deadLetterQueue: string;
  /** The durable request queue of each RPC service. */
  rpcQueues: Readonly<Record<RpcService, string>>;
  /** The direct exchange the workstations' hooks publish to (INGRESS_EXCHANGE). */
  ingressExchange: string;
  /** logon-events' queue behind it (INGRESS_QUEUE). */
  ingressQueue: string;
  /**
   * The direct exchange the admin CLI publishes its requests to, routing key = RPC pattern: the gateway binds its
   * queue with ADMIN_CLI_PATTERNS only, so the admin CLI's account reaches those and nothing else.
   */
  adminExchange: string;
  /** A consumer's own queue name in this namespace: `<ns>.<name>`. */
  queue(name: string): string;
  /** The delay queue a consumer queue's failed messages wait in before they are retried. */
  retryQueue(queue: string): string;
}

export function amqpNames(namespace: string): AmqpNames {
  const ns = namespaceSchema.parse(namespace);
  const rpcQueues = Object.fromEntries(
    (Object.keys(RPC_QUEUES) as RpcService[]).map((service) => [service, `${ns}.${service}.rpc`]),
  ) as Record<RpcService, string>;
  return Object.freeze({
    namespace: ns,
    eventsExchange: `${ns}.events`,
    deadLetterExchange: `${ns}.dead-letter`,
    deadLetterQueue: `${ns}.dead-letters`,
    rpcQueues: Object.freeze(rpcQueues),
    ingressExchange: `${ns}.${INGRESS_EXCHANGE.slice('credroam.'.length)}`,
    ingressQueue: `${ns}.${INGRESS_QUEUE.slice('credroam.'.length)}`,
    adminExchange: `${ns}.admin`,
    queue: (name: string) => `${ns}.${name}`,
    retryQueue: (queue: string) => `${queue}.retry`,
  });
}

/**
 * What the admin CLI may ask the gateway (`credroam user`): the metadata it needs to find a user and show its
 * policy, and the operator RPCs, which need an operator grant. A user's roaming state only through inspect-user
 * (the purge reads its compare-and-swap stamp there too), so every look at it is granted and audited.
 */
export const ADMIN_CLI_PATTERNS = Object.freeze([
  RPC_PATTERNS.lookupUser,
  RPC_PATTERNS.resolvePolicy,
  RPC_PATTERNS.inspectUser,
  RPC_PATTERNS.purgeUser,
] as const satisfies readonly RpcPattern[]);

/** Whether `queue` belongs to `namespace` (consumers refuse queues outside their namespace). */
export function isInNamespace(queue: string, namespace: string): boolean {
  return queue.startsWith(`${namespace}.`) && queue.length > namespace.length + 1 && queue.length <= 255;
}

// Queue and exchange arguments. RabbitMQ refuses to re-declare a queue with different arguments
// (PRECONDITION_FAILED closes the channel), so every party declaring a name takes its options from here.

export const EXCHANGE_OPTIONS: Options.AssertExchange = Object.freeze({ durable: true });

/** An RPC request queue: the server (every replica) and the clients assert it identically. */
export function rpcQueueOptions(queueType: QueueType = 'classic'): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': queueType } };
}

/**
 * A consumer's work queue. The dead-letter exchange is a safety net for what the broker itself gives up on
 * (a nack without requeue, a queue limit); the consumer routes its own given-up messages there explicitly.
 */
export function workQueueOptions(names: AmqpNames, queueType: QueueType = 'classic'): Options.AssertQueue {
  return {
    durable: true,
    arguments: { 'x-dead-letter-exchange': names.deadLetterExchange, 'x-queue-type': queueType },
  };
}

/**
 * A retry queue has no consumer: a message waits there for its per-message TTL, then the broker dead-letters
 * it through the default exchange straight back to the work queue. The TTL is per message (not an
 * `x-message-ttl` argument) so that a changed retry delay never makes the declaration conflict.
 */
export function retryQueueOptions(workQueue: string, queueType: QueueType = 'classic'): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': workQueue,
      'x-queue-type': queueType,
    },
  };
}

export function deadLetterQueueOptions(queueType: QueueType = 'classic'): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': queueType } };
}

/** Headers credroam sets on retried and dead-lettered messages. */
export const MESSAGE_HEADERS = Object.freeze({
  /** 1-based number of the delivery attempt the message is on. */
  attempt: 'x-credroam-attempt',
  /** The routing key the message was first published with (a retry travels under the queue's name). */
  routingKey: 'x-credroam-routing-key',
  /** Why a message was dead-lettered: one of DEAD_LETTER_REASONS. */
  reason: 'x-credroam-dead-letter-reason',
  /** The queue that gave the message up. */
  queue: 'x-credroam-queue',
  /** The error code of the last failure, when there was one. */
  errorCode: 'x-credroam-error-code',
  /** When the message was given up (ISO-8601). */
  deadLetteredAt: 'x-credroam-dead-lettered-at',
  /** The caller's correlation id on an RPC request (the body carries it too). */
  correlationId: 'x-correlation-id',
});

/** The agent ingress queue (INGRESS_QUEUE) within a namespace: `credroam.logon-events.ingress` by default. */
export function ingressQueue(namespace: string): string {
  return amqpNames(namespace).ingressQueue;
}
