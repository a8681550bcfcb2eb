import type { ErrorCode } from '@credroam/roaming';
import type { DeadLetterReason } from '../events/failure-policy';

/** The parts of a delivered message admission looks at (amqplib's ConsumeMessage has them). */
export interface AdmittedMessage {
  content: Buffer;
  properties: { contentType?: unknown; contentEncoding?: unknown };
}

/** Why a message is poison before anything reads it, as dead-letter reason and error code. */
export interface Refusal {
  reason: Extract<
    DeadLetterReason,
    'not-json' | 'too-large' | 'unsupported-content-type' | 'invalid-message'
  >;
  errorCode: ErrorCode;
  /** For logs and the refusal reply: names the rule broken, never quotes the body. */
  problem: string;
}

export type Admission = { ok: true; body: unknown } | { ok: false; refusal: Refusal };

/**
 * What a JSON message may declare. No content type at all is admitted: Nest's RPC client and older publishers
 * send none, and the body is still parsed strictly.
 */
const JSON_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/json']);
const IDENTITY_ENCODINGS: ReadonlySet<string> = new Set(['identity', 'utf-8', 'utf8']);

/**
 * The first gate of every credroam queue, before a handler or a schema sees a message: it must be at most
 * `maxBytes`, declare JSON (or nothing) uncompressed, and parse as JSON. The size is checked first so that an
 * oversized body is never decoded; a compressed body is refused rather than inflated (a small one can inflate to
 * any size), as the HTTP edge does. A message refused here would fail the same way on every delivery: it is
 * dead-lettered at once, never retried.
 */
export function admitJsonMessage(message: AdmittedMessage, maxBytes: number): Admission {
  if (message.content.length > maxBytes) {
    return refuse(
      'too-large',
      'VALUE_TOO_LARGE',
      `the body of ${message.content.length} bytes exceeds ${maxBytes}`,
    );
  }
  const contentType = mediaType(message.properties.contentType);
  if (contentType !== null && !JSON_MEDIA_TYPES.has(contentType)) {
    return refuse(
      'unsupported-content-type',
      'UNSUPPORTED_MEDIA_TYPE',
      'the content type must be application/json',
    );
  }
  const encoding = mediaType(message.properties.contentEncoding);
  if (encoding !== null && !IDENTITY_ENCODINGS.has(encoding)) {
    return refuse('unsupported-content-type', 'UNSUPPORTED_MEDIA_TYPE', 'compressed bodies are not accepted');
  }
  try {
    // fatal: a body that is not UTF-8 is not JSON either, rather than JSON with replacement characters in it.
    return { ok: true, body: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(message.content)) };
  } catch {
    return refuse('not-json', 'CONTRACT_VIOLATION', 'the body is not JSON');
  }
}

export function refuse(
  reason: Refusal['reason'],
  errorCode: ErrorCode,
  problem: string,
): Admission & { ok: false } {
  return { ok: false, refusal: { reason, errorCode, problem } };
}

/** `application/json; charset=utf-8` → `application/json`; null when the property is absent or empty. */
function mediaType(value: unknown): string | null {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : '';
  const type = (text.split(';')[0] ?? '').trim().toLowerCase();
  return type === '' ? null : type;
}
