/** Injection tokens of the gateway module. */
export const GATEWAY_SERVICES = Symbol('credroam.directory-gateway.services');
export const GATEWAY_CONFIG = Symbol('credroam.directory-gateway.config');
