import { z } from 'zod';

export const TOKEN_TYPES = [
  'certificate',
  'private-key',
  'certificate-request',
  'master-key',
  'stored-credential',
] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];

export const tokenTypeSchema = z.enum(TOKEN_TYPES, {
  error: () => `token type must be one of ${TOKEN_TYPES.join(', ')}`,
});

/** The directory attribute that holds values of each type (DESIGN.md section 4). */
export function attributeForType(type: TokenType): 'msPKIAccountCredentials' | 'msPKIDPAPIMasterKeys' {
  return type === 'master-key' ? 'msPKIDPAPIMasterKeys' : 'msPKIAccountCredentials';
}
