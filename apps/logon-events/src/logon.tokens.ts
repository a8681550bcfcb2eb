/** Injection tokens of logon-events' repositories and helpers that are interfaces, not classes. */
export const DIRECTORY_REPOSITORY = Symbol('credroam.logon-events.directory-repository');
export const CRYPTO_REPOSITORY = Symbol('credroam.logon-events.crypto-repository');
export const CLOCK = Symbol('credroam.logon-events.clock');
export const LOG_SINK = Symbol('credroam.logon-events.log');
