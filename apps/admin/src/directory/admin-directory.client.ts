import { Client } from 'ldapts';
import { toRoamingError } from '../../../directory-gateway/src/ldap/ldap-error.mapper';
import { type AdminDirectoryConfig } from './admin-directory.config';

/** A connection bound as the admin CLI's own account; the caller unbinds it (also after a failure). */
export async function openAdminDirectory(config: AdminDirectoryConfig): Promise<Client> {
  const client = new Client({
    url: config.url,
    timeout: 60_000,
    connectTimeout: 10_000,
    ...(config.caPem && config.url.startsWith('ldaps:') ? { tlsOptions: { ca: [config.caPem] } } : {}),
  });
  try {
    await client.bind(config.bindDn, config.password);
  } catch (error) {
    // ldapts keeps the socket, and so the process, alive after a failed bind until unbound.
    await client.unbind().catch(() => undefined);
    throw toRoamingError(error, `binding as ${config.bindDn}`);
  }
  return client;
}
