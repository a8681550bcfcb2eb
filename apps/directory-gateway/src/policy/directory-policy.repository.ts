import { POLICY_ATTRIBUTES, POLICY_OBJECT_CLASS, type PolicyEntryValues } from '@credroam/roaming';
import { valuesOf } from '../ldap/entry-values';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';

const ATTRIBUTES = Object.values(POLICY_ATTRIBUTES);

/** The only file that reads the directory's policy objects: the container and the overrides below it. */
export class DirectoryPolicyRepository {
  constructor(
    private readonly pool: LdapConnectionPool,
    private readonly containerDn: string,
  ) {}

  /** Every policy entry under the container, or null when there is no container (the bootstrap applies). */
  async read(): Promise<PolicyEntryValues[] | null> {
    try {
      const entries = await this.pool.search(
        this.containerDn,
        { scope: 'sub', filter: `(objectClass=${POLICY_OBJECT_CLASS})`, attributes: ATTRIBUTES },
        'reading the credroam policy',
      );
      return entries.map((entry) => ({
        dn: entry.dn,
        settings: strings(entry, POLICY_ATTRIBUTES.setting),
        linkedOu: strings(entry, POLICY_ATTRIBUTES.linkedOu),
        linkedGroup: strings(entry, POLICY_ATTRIBUTES.linkedGroup),
        priority: strings(entry, POLICY_ATTRIBUTES.priority),
      }));
    } catch (error) {
      // The mapper reports noSuchObject as USER_NOT_FOUND; here it means no policy container (or one the
      // service account may not see, which slapd does not tell apart): the bootstrap policy applies.
      if ((error as { code?: unknown }).code === 'USER_NOT_FOUND') return null;
      throw error;
    }
  }
}

function strings(entry: Parameters<typeof valuesOf>[0], attribute: string): string[] {
  return valuesOf(entry, attribute).map((value) =>
    typeof value === 'string' ? value : value.toString('utf8'),
  );
}
