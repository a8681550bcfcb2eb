// Looks for secrets where they must not be (broker traffic, logs, audit rows, the directory), in every form a
// leak would take: the bytes as they are, hex, or base64/base64url at any alignment inside a longer encoding
// (a key's private scalar inside a base64 PEM, a secret inside a base64 JSON field).
import { createPrivateKey } from 'node:crypto';

export interface Secret {
  name: string;
  bytes: Buffer;
}

export interface Haystack {
  where: string;
  data: Buffer;
}

/** Shorter runs could match by chance in megabytes of ciphertext. */
const MIN_SECRET_BYTES = 8;

function leakForms(secret: Buffer): { form: string; bytes: Buffer }[] {
  const forms = [
    { form: 'as is', bytes: secret },
    { form: 'hex', bytes: Buffer.from(secret.toString('hex')) },
    { form: 'HEX', bytes: Buffer.from(secret.toString('hex').toUpperCase()) },
  ];
  // Inside a longer base64 text the secret starts at one of three offsets within a 3-byte group: the run of
  // whole groups from the matching offset is encoded identically there.
  for (let offset = 0; offset < 3; offset++) {
    const groups = secret.subarray(offset, offset + Math.floor((secret.length - offset) / 3) * 3);
    if (groups.length < 6) continue;
    for (const encoding of ['base64', 'base64url'] as const)
      forms.push({ form: `${encoding} (+${offset})`, bytes: Buffer.from(groups.toString(encoding)) });
  }
  return forms;
}

/** Every place a secret was found, as `name in where (form)`; [] when none leaked. */
export function findLeaks(secrets: readonly Secret[], haystacks: readonly Haystack[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    if (secret.bytes.length < MIN_SECRET_BYTES)
      throw new Error(`${secret.name} is too short to look for (${secret.bytes.length} bytes)`);
    const forms = leakForms(secret.bytes);
    for (const haystack of haystacks) {
      const hit = forms.find(({ bytes }) => haystack.data.includes(bytes));
      if (hit) found.push(`${secret.name} in ${haystack.where} (${hit.form})`);
    }
  }
  return found;
}

/** The private numbers of a PEM private key (EC/Ed: d; RSA: d, p, q), each a secret of its own. */
export function privateKeyParts(name: string, pem: string): Secret[] {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  return (['d', 'p', 'q'] as const).flatMap((part) => {
    const value = jwk[part];
    return value ? [{ name: `${name} (${part})`, bytes: Buffer.from(value, 'base64url') }] : [];
  });
}

/** A secret given as text: its UTF-8 bytes. */
export function textSecret(name: string, text: string): Secret {
  return { name, bytes: Buffer.from(text, 'utf8') };
}
