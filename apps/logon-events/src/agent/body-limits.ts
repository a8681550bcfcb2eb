/**
 * The largest request of each kind, on both transports (an HTTP body, an AMQP ingress message). A sync carries the
 * sealed content of every changed token, bounded by the policy's total size (64 MB covers the default 16 MiB once
 * sealed and base64-encoded); everything else is a few hundred bytes of JSON.
 */
export const BODY_LIMITS = Object.freeze({ sync: 64 * 1024 * 1024, small: 16 * 1024 });
