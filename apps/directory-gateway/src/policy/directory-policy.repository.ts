import { type Entry } from 'ldapts';
import { POLICY_ATTRIBUTES, POLICY_OBJECT_CLASS, type PolicyEntryValues } from '@credroam/roaming';
import { valuesOf } from '../ldap/entry-values';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';

/** What a search for the policy objects asks for (the admin CLI reads them the same way). */
export const POLICY_SEARCH = Object.freeze({
  scope: 'sub' as const,
  filter: `(objectClass=${POLICY_OBJECT_CLASS})`,
  attributes: Object.values(POLICY_ATTRIBUTES),
});

export function policyEntryValues(entry: Entry): PolicyEntryValues {
  return {
    dn: entry.dn,
    settings: strings(entry, POLICY_ATTRIBUTES.setting),
    linkedOu: strings(entry, POLICY_ATTRIBUTES.linkedOu),
    linkedGroup: strings(entry, POLICY_ATTRIBUTES.linkedGroup),
    priority: strings(entry, POLICY_ATTRIBUTES.priority),
  };
}

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
        { ...POLICY_SEARCH, attributes: [...POLICY_SEARCH.attributes] },
        'reading the credroam policy',
      );
      return entries.map(policyEntryValues);
    } catch (error) {
      // The mapper reports noSuchObject as USER_NOT_FOUND; here it means no policy container (or one the
      // service account may not see, which slapd does not tell apart): the bootstrap policy applies.
      if ((error as { code?: unknown }).code === 'USER_NOT_FOUND') return null;
      throw error;
    }
  }
}

function strings(entry: Entry, attribute: string): string[] {
  return valuesOf(entry, attribute).map((value) =>
    typeof value === 'string' ? value : value.toString('utf8'),
  );
}
