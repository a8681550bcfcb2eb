import { type TokenType } from './token-type';

/** A token is identified by (type, id); identifiers are unique only within their type. */
export interface TokenKey {
  type: TokenType;
  id: string;
}

/** A map key for (type, id). The separator cannot occur in a type name, so the encoding is unambiguous. */
export function tokenKeyString(key: TokenKey): string {
  return `${key.type}:${key.id}`;
}

export function compareTokenKeys(a: TokenKey, b: TokenKey): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}
