import { z } from 'zod';
import { ERROR_CODES } from '../errors/roaming-error';

export const errorCodeSchema = z.enum(ERROR_CODES);

const MAX_DETAILS = 32;

/** The wire form of errors/roaming-error.ts's ErrorInfo: RPC replies, HTTP problem bodies, per-item results. */
export const errorInfoSchema = z
  .object({
    code: errorCodeSchema,
    message: z.string().max(4096),
    retryable: z.boolean(),
    details: z
      .record(z.string().min(1).max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]))
      .refine((details) => Object.keys(details).length <= MAX_DETAILS, {
        message: `details must have at most ${MAX_DETAILS} entries`,
      })
      .optional(),
  })
  .strict();
