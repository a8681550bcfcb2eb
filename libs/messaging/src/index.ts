// libs/messaging: the RabbitMQ plumbing every service shares. RPC rides on @nestjs/microservices' RMQ transport;
// events, retries and dead-lettering use amqplib (through amqp-connection-manager) where the transport cannot.
export * from './amqp.config';
export * from './amqp-topology';
export * from './broker-accounts';
export { DEFAULT_TUNING, type ConnectionTuning } from './amqp.connection';
export * from './messaging.logger';
export * from './messaging.tokens';
export * from './messaging.module';
export * from './rpc/rpc-transport.options';
export * from './rpc/rpc-handler.runner';
export * from './rpc/rpc-grant.guard';
export * from './rpc/rpc.client';
export * from './events/event.publisher';
export * from './consumer/message.consumer';
export * from './events/event.consumer';
export * from './events/failure-policy';
export * from './health/amqp.health';
export * from './rpc/rpc.server';
