import { type Entry } from 'ldapts';

/**
 * ldapts gives one value as a scalar, several as an array, and an absent attribute (or one an ACL hides) as [];
 * every reader goes through here so no caller mistakes the shapes.
 */
export function valuesOf(entry: Entry, attribute: string): (Buffer | string)[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  if (key === undefined) return [];
  const value = entry[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function firstString(entry: Entry, attribute: string): string | null {
  const [value] = valuesOf(entry, attribute);
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.toString('utf8');
}
