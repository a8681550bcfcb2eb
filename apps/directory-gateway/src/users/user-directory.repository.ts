import { RoamingError, type DirectoryUser } from '@credroam/roaming';
import { type GatewayConfig } from '../config/gateway.config';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';
import { firstString, valuesOf } from '../ldap/entry-values';
import { equalityFilter } from '../ldap/ldap-filter';
import { type Entry } from 'ldapts';

/** Finds users and their groups. Login names reach the filter only through RFC 4515 escaping. */
export class UserDirectoryRepository {
  constructor(
    private readonly pool: LdapConnectionPool,
    private readonly config: GatewayConfig,
  ) {}

  async findByLogin(login: string): Promise<DirectoryUser> {
    return (await this.findEntry(login, [])).user;
  }

  /** The user and its entry with `extraAttributes` (the account status ones, for a renewal). */
  async findEntry(
    login: string,
    extraAttributes: readonly string[],
  ): Promise<{ user: DirectoryUser; entry: Entry }> {
    const { loginAttribute, stableIdAttribute, userFilter, userBase } = this.config;
    const entries = await this.pool.search(
      userBase,
      {
        scope: 'sub',
        filter: `(&${userFilter}${equalityFilter(loginAttribute, login)})`,
        attributes: [loginAttribute, stableIdAttribute, 'displayName', 'cn', 'memberOf', ...extraAttributes],
        explicitBufferAttributes: stableIdAttribute === 'objectGUID' ? ['objectGUID'] : [],
        sizeLimit: 2,
      },
      'the user lookup',
    );
    // A login that matches several entries is refused rather than guessed.
    if (entries.length !== 1) throw new RoamingError('USER_NOT_FOUND', 'no such user');
    const entry = entries[0] as Entry;
    return { user: this.toUser(entry, login), entry };
  }

  private toUser(entry: Entry, login: string): DirectoryUser {
    const stableId = this.stableIdOf(entry);
    if (!stableId) {
      throw new RoamingError(
        'DIRECTORY_ACCESS_DENIED',
        `the user entry has no readable ${this.config.stableIdAttribute}; check the service account's ACL`,
      );
    }
    const groups = valuesOf(entry, 'memberOf').map((group) =>
      typeof group === 'string' ? group : group.toString('utf8'),
    );
    return {
      dn: entry.dn,
      login: firstString(entry, this.config.loginAttribute) ?? login,
      stableId,
      displayName: firstString(entry, 'displayName') ?? firstString(entry, 'cn'),
      groups,
    };
  }

  private stableIdOf(entry: Entry): string | null {
    const [value] = valuesOf(entry, this.config.stableIdAttribute);
    if (value === undefined) return null;
    if (typeof value === 'string') return value.toLowerCase();
    return guidToString(value);
  }
}

/** objectGUID is 16 bytes with the first three groups little-endian, as Windows prints it. */
export function guidToString(bytes: Buffer): string | null {
  if (bytes.length !== 16) return null;
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
