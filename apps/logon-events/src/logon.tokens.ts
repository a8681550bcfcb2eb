/** Nest injection tokens of logon-events. */
export const LOGON_SERVICES = Symbol('credroam.logon-events.services');
