/**
 * Just enough DN handling to compare scopes: RDNs split on unescaped commas, attribute names and values
 * compared case-insensitively with surrounding blanks ignored (as directories compare them for our attributes).
 */
export function normalizeDn(dn: string): string[] {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const char = dn.charAt(i);
    if (char === '\\' && i + 1 < dn.length) {
      current += char + dn.charAt(i + 1);
      i++;
    } else if (char === ',') {
      rdns.push(normalizeRdn(current));
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim() !== '' || rdns.length > 0) rdns.push(normalizeRdn(current));
  return rdns;
}

function normalizeRdn(rdn: string): string {
  const eq = rdn.indexOf('=');
  if (eq < 0) return rdn.trim().toLowerCase();
  return `${rdn.slice(0, eq).trim().toLowerCase()}=${rdn
    .slice(eq + 1)
    .trim()
    .toLowerCase()}`;
}

export function sameDn(a: string, b: string): boolean {
  const left = normalizeDn(a);
  const right = normalizeDn(b);
  return left.length === right.length && left.every((rdn, i) => rdn === right[i]);
}

/** True when `dn` equals `base` or lies below it. */
export function isWithinSubtree(dn: string, base: string): boolean {
  const entry = normalizeDn(dn);
  const scope = normalizeDn(base);
  if (scope.length > entry.length) return false;
  const offset = entry.length - scope.length;
  return scope.every((rdn, i) => rdn === entry[offset + i]);
}
