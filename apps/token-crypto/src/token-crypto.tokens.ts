/** Injection tokens of the token-crypto module. */
export const TOKEN_CRYPTO_SERVICES = Symbol('credroam.token-crypto.services');
