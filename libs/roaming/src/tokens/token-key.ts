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

/** Code-unit order, the same on every machine whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTokenKeys(a: TokenKey, b: TokenKey): number {
  return compareText(a.type, b.type) || compareText(a.id, b.id);
}
