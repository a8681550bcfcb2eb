/**
 * RFC 4515 escaping of an assertion value: the only way an untrusted string (a login name, a DN) ever enters a
 * filter. Every byte that could change the filter's structure, and NUL, becomes \XX.
 */
export function escapeFilterValue(value: string): string {
  let escaped = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    escaped +=
      byte < 0x20 || byte > 0x7e || '*()\\'.includes(char) ? `\\${byte.toString(16).padStart(2, '0')}` : char;
  }
  return escaped;
}

export function equalityFilter(attribute: string, value: string): string {
  return `(${attribute}=${escapeFilterValue(value)})`;
}
