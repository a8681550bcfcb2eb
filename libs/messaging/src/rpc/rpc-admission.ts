import { isRpcPattern, parseRpcRequest } from '@credroam/roaming';
import { z } from 'zod';
import { admitJsonMessage, refuse, type AdmittedMessage, type Refusal } from '../consumer/message-admission';

/** What a request on an RPC queue is, as Nest's RMQ client sends it: the pattern, the call's id and the data. */
const nestPacketSchema = z.object({
  pattern: z.string().min(1).max(255),
  id: z.string().min(1).max(255),
  data: z.unknown(),
});

export type RpcAdmission = { ok: true } | { ok: false; refusal: Refusal; data: unknown };

/**
 * Whether a message on a service's RPC queue is a request the service can run, decided before Nest reads it
 * (Nest would parse any size, and nack what it cannot route, which an RPC queue's lack of a dead-letter exchange
 * turns into a silent drop): it must pass admitJsonMessage, be a Nest request packet (an event packet, without
 * `id`, has no place on an RPC queue), name a pattern this service serves (`serves`), and carry a request that
 * meets the pattern's contract. Anything else is poison: refused on reply_to, dead-lettered, never run. The
 * runner validates the request again (it also serves handlers called without this server).
 */
export function admitRpcRequest(
  message: AdmittedMessage,
  maxBytes: number,
  serves: (pattern: string) => boolean,
): RpcAdmission {
  const admitted = admitJsonMessage(message, maxBytes);
  if (!admitted.ok) return { ...admitted, data: null };
  const packet = nestPacketSchema.safeParse(admitted.body);
  if (!packet.success) {
    return { ...refuse('invalid-message', 'CONTRACT_VIOLATION', 'not an RPC request'), data: null };
  }
  const { pattern, data } = packet.data;
  if (!isRpcPattern(pattern) || !serves(pattern)) {
    // The pattern is the sender's text: not repeated in the answer or the logs.
    return { ...refuse('invalid-message', 'CONTRACT_VIOLATION', 'no such RPC pattern on this queue'), data };
  }
  const request = parseRpcRequest(pattern, data);
  if (!request.ok) {
    return { ...refuse('invalid-message', request.error.code, `${pattern}: ${request.error.message}`), data };
  }
  return { ok: true };
}
