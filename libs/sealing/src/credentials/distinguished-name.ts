import * as pkijs from 'pkijs';
import { decodeBer, elementsOf, type Asn1 } from '../asn1/ber';
import { compileSchema, matchSchema } from '../asn1/schema';
import { encodingOf, oidOf, stringOf } from '../asn1/values';

/** RFC 4514's short names, plus the few that Windows and OpenSSL print for common certificates. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'G',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
};

// Controls and line separators are shown as \XX so that a hostile name cannot forge a log line or a dashboard row.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /^[\u0000-\u001f\u007f-\u009f\u2028\u2029]$/;

function escapeCharacter(character: string, index: number, last: number): string {
  if ('\\"+,;<>='.includes(character)) return `\\${character}`;
  if ((index === 0 && (character === ' ' || character === '#')) || (index === last && character === ' ')) {
    return `\\${character}`;
  }
  if (UNSAFE.test(character)) {
    return [...Buffer.from(character, 'utf8')]
      .map((byte) => `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('');
  }
  return character;
}

function escapeValue(value: string): string {
  const characters = [...value];
  return characters
    .map((character, index) => escapeCharacter(character, index, characters.length - 1))
    .join('');
}

function attributeValue(node: Asn1): string {
  // Directory strings decode to text; anything else is shown as RFC 4514's "#" + hex of its DER.
  const text = stringOf(node);
  return text === undefined ? `#${encodingOf(node).toString('hex').toUpperCase()}` : escapeValue(text);
}

/**
 * pkijs' schemas validate a Name, but its RelativeDistinguishedNames flattens the RDNs into one list, losing which
 * attributes share an RDN ("OU=people+UID=alice"): the RDNs are read from the validated structure instead.
 */
const NAME = compileSchema<never>(() => pkijs.RelativeDistinguishedNames.schema());
const TYPE_AND_VALUE = compileSchema<'type' | 'value'>(() =>
  pkijs.AttributeTypeAndValue.schema({ names: { type: 'type', value: 'value' } }),
);

/**
 * A Name (its DER) as an RFC 4514 string: RDNs in reverse order, multi-valued RDNs joined with "+", e.g.
 * `CN=Alice Martin,OU=people,DC=credroam,DC=test`. Undefined when the bytes are not a Name.
 */
export function formatDistinguishedName(der: Uint8Array): string | undefined {
  const decoded = decodeBer(der, 'name');
  return decoded.ok ? formatName(decoded.value) : undefined;
}

/** formatDistinguishedName over an already parsed Name. */
export function formatName(name: Asn1): string | undefined {
  if (!matchSchema(name, NAME)) return undefined;
  const rdns: string[] = [];
  for (const rdn of elementsOf(name)) {
    const parts: string[] = [];
    for (const attribute of elementsOf(rdn)) {
      const found = matchSchema(attribute, TYPE_AND_VALUE);
      const type = oidOf(found?.type);
      if (type === undefined || found?.value === undefined) return undefined;
      parts.push(`${SHORT_NAMES[type] ?? type}=${attributeValue(found.value)}`);
    }
    rdns.push(parts.join('+'));
  }
  return rdns.reverse().join(',');
}
