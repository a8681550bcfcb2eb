// Every user entry under a base, page by page (RFC 2696 paged results, which both slapd and AD support), with the
// roaming attributes in the wire form of the directory's dialect.
import { valuesOf } from '../../../directory-gateway/src/ldap/entry-values';
import { toRoamingError } from '../../../directory-gateway/src/ldap/ldap-error.mapper';
import {
  dialectFor,
  STAMP_ATTRIBUTE,
  TOKEN_ATTRIBUTES,
} from '../../../directory-gateway/src/ldap/attribute-dialect';
import { openAdminDirectory } from '../directory/admin-directory.client';
import { type AdminDirectoryConfig } from '../directory/admin-directory.config';
import { type ScannedEntry } from './entry-findings';

const PAGE_SIZE = 500;
/** `person` covers inetOrgPerson (OpenLDAP) and user (Active Directory) alike. */
const USER_FILTER = '(objectClass=person)';

export async function* userEntries(
  config: AdminDirectoryConfig,
  baseDn: string,
): AsyncGenerator<ScannedEntry> {
  const dialect = dialectFor(config.dialect);
  const client = await openAdminDirectory(config);
  try {
    const pages = client.searchPaginated(baseDn, {
      scope: 'sub',
      filter: USER_FILTER,
      attributes: [STAMP_ATTRIBUTE, ...TOKEN_ATTRIBUTES],
      explicitBufferAttributes: [STAMP_ATTRIBUTE, ...(dialect.binaryTokenValues ? TOKEN_ATTRIBUTES : [])],
      paged: { pageSize: PAGE_SIZE },
    });
    for await (const page of withLdapErrors(pages, `searching ${baseDn}`)) {
      for (const entry of page.searchEntries) {
        const [stamp] = valuesOf(entry, STAMP_ATTRIBUTE);
        yield {
          dn: entry.dn,
          stamp: stamp === undefined ? null : Buffer.isBuffer(stamp) ? stamp : Buffer.from(stamp, 'latin1'),
          values: TOKEN_ATTRIBUTES.flatMap((attribute) =>
            valuesOf(entry, attribute).map((wire) => ({ attribute, wire })),
          ),
        };
      }
    }
  } finally {
    await client.unbind();
  }
}

async function* withLdapErrors<T>(source: AsyncGenerator<T>, operation: string): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw toRoamingError(error, operation);
  }
}
