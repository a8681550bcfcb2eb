import { z } from 'zod';

/**
 * A whole number read from an environment variable: digits only (no "1e3", "0x10" or blanks that a coercion
 * would accept), within [min, max], with messages that name the bound.
 */
export const envWholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );
