import { z } from 'zod';

/** A grant as it travels: a compact JWS, bounded. */
export const grantTokenSchema = z
  .string()
  .max(4096, { message: 'a grant is at most 4096 characters' })
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, { message: 'a grant is a compact JWS' });
