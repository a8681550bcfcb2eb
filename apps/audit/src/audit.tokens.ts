/** Injection token of the validated AuditConfig. */
export const AUDIT_CONFIG = Symbol('credroam.audit.config');
/** Injection token of the service's pino logger. */
export const AUDIT_LOGGER = Symbol('credroam.audit.logger');
