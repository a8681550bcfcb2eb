import { fail, ok, type Result } from '@credroam/roaming';

/** One PEM block (RFC 7468): its label and the DER it carries. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const BEGIN = /^-----BEGIN ([A-Z0-9][A-Z0-9 ]{0,63})-----$/;
const END = /^-----END ([A-Z0-9][A-Z0-9 ]{0,63})-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether the bytes look like PEM text rather than DER (DER never starts with a dash). */
export function looksLikePem(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 1024)).toString('latin1');
  return head.includes('-----BEGIN ');
}

/**
 * Every PEM block in a text, in order. Text between blocks is ignored (RFC 7468 allows explanatory text, and CA
 * bundles carry comments); inside a block only base64 is allowed, so RFC 1421 headers (OpenSSL's legacy
 * `Proc-Type: 4,ENCRYPTED` keys) are refused with a clear message instead of being decoded as garbage.
 */
export function decodePem(input: Uint8Array | string): Result<PemBlock[]> {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[]; line: number } | null = null;
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (open === null) {
      const begin = BEGIN.exec(line);
      if (begin) open = { label: begin[1] as string, body: [], line: index + 1 };
      else if (line.startsWith('-----END ')) {
        return fail('CRYPTO_PARSE_FAILED', `PEM "${clip(line)}" on line ${index + 1} has no BEGIN line`);
      }
      continue;
    }
    const end = END.exec(line);
    if (end) {
      if (end[1] !== open.label) {
        return fail(
          'CRYPTO_PARSE_FAILED',
          `PEM block "BEGIN ${open.label}" (line ${open.line}) ends with "END ${clip(end[1] as string)}"`,
        );
      }
      const body = open.body.join('');
      if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
        return fail(
          'CRYPTO_PARSE_FAILED',
          `PEM block "${open.label}" (line ${open.line}) is not valid base64`,
        );
      }
      blocks.push({ label: open.label, der: Buffer.from(body, 'base64') });
      open = null;
      continue;
    }
    if (line.includes(':')) {
      return fail(
        'CRYPTO_PARSE_FAILED',
        `PEM block "${open.label}" has RFC 1421 headers (legacy OpenSSL encryption); convert it to PKCS#8 ` +
          '(openssl pkcs8 -topk8)',
      );
    }
    if (!BASE64_LINE.test(line)) {
      return fail(
        'CRYPTO_PARSE_FAILED',
        `PEM block "${open.label}" has a line that is not base64 (line ${index + 1})`,
      );
    }
    open.body.push(line);
  }
  if (open !== null) {
    return fail('CRYPTO_PARSE_FAILED', `PEM block "${open.label}" (line ${open.line}) has no END line`);
  }
  if (blocks.length === 0) return fail('CRYPTO_PARSE_FAILED', 'no PEM block found');
  return ok(blocks);
}

export function encodePem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
