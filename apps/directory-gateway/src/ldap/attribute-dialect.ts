import { decodeDnBinary, encodeDnBinary, type Result } from '@credroam/roaming';

export const STAMP_ATTRIBUTE = 'msPKIRoamingTimeStamp';
export const CREDENTIALS_ATTRIBUTE = 'msPKIAccountCredentials';
export const MASTER_KEYS_ATTRIBUTE = 'msPKIDPAPIMasterKeys';
export const TOKEN_ATTRIBUTES = [CREDENTIALS_ATTRIBUTE, MASTER_KEYS_ATTRIBUTE] as const;
export type TokenAttribute = (typeof TOKEN_ATTRIBUTES)[number];

/** A value as the directory stores it (what a value-level delete must name) and the roaming bytes it carries. */
export interface WireValue {
  wire: Buffer | string;
  bytes: Buffer;
}

/**
 * How roaming values look on the wire. OpenLDAP (our schema): raw octet strings. Active Directory: DN-Binary
 * strings bound to the user's own DN, so a value moved to another entry does not decode there.
 */
export interface AttributeDialect {
  readonly binaryTokenValues: boolean;
  fromWire(wire: Buffer | string, userDn: string): Result<WireValue>;
  toWire(bytes: Buffer, userDn: string): Buffer | string;
}

export const OPENLDAP_DIALECT: AttributeDialect = {
  binaryTokenValues: true,
  fromWire: (wire) => {
    const bytes = typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
    return { ok: true, value: { wire: bytes, bytes } };
  },
  toWire: (bytes) => bytes,
};

export const ACTIVE_DIRECTORY_DIALECT: AttributeDialect = {
  binaryTokenValues: false,
  fromWire: (wire, userDn) => {
    const text = typeof wire === 'string' ? wire : wire.toString('utf8');
    const decoded = decodeDnBinary(text, userDn);
    if (!decoded.ok) return decoded;
    return { ok: true, value: { wire: text, bytes: Buffer.from(decoded.value.bytes) } };
  },
  toWire: (bytes, userDn) => encodeDnBinary(bytes, userDn),
};

export function dialectFor(name: 'openldap' | 'active-directory'): AttributeDialect {
  return name === 'openldap' ? OPENLDAP_DIALECT : ACTIVE_DIRECTORY_DIALECT;
}
