import { type Provider } from '@nestjs/common';
import { MESSAGING_LOGGER, type MessagingLogger } from '@credroam/messaging';
import { type GatewayConfig } from './config/gateway.config';
import { accountStatusMapping } from './ldap/account-status.mapping';
import { dialectFor } from './ldap/attribute-dialect';
import { LdapConnectionPool } from './ldap/ldap-connection.pool';
import { DirectoryPolicyRepository } from './policy/directory-policy.repository';
import { PolicyService } from './policy/policy.service';
import { RoamingEntryRepository } from './roaming-state/roaming-entry.repository';
import { RoamingStateService } from './roaming-state/roaming-state.service';
import { UserDirectoryRepository } from './users/user-directory.repository';
import { UsersService } from './users/users.service';

/**
 * The gateway's use-cases and repositories, one provider each over one LDAP connection pool. The module serves
 * them to its handlers; integration suites compile the same list into a testing module.
 */
export function gatewayProviders(config: GatewayConfig, clock: () => number = Date.now): Provider[] {
  const dialect = dialectFor(config.dialect);
  return [
    { provide: LdapConnectionPool, useFactory: () => new LdapConnectionPool(config.ldap) },
    {
      provide: UserDirectoryRepository,
      inject: [LdapConnectionPool],
      useFactory: (pool: LdapConnectionPool) => new UserDirectoryRepository(pool, config),
    },
    {
      provide: UsersService,
      inject: [UserDirectoryRepository, LdapConnectionPool],
      useFactory: (users: UserDirectoryRepository, pool: LdapConnectionPool) =>
        new UsersService(users, pool, config.serviceChannelKey, accountStatusMapping(config.accountStatus)),
    },
    {
      provide: RoamingEntryRepository,
      inject: [LdapConnectionPool],
      useFactory: (pool: LdapConnectionPool) =>
        new RoamingEntryRepository(pool, dialect, config.roamingObjectClass),
    },
    {
      provide: RoamingStateService,
      inject: [RoamingEntryRepository],
      useFactory: (entries: RoamingEntryRepository) =>
        new RoamingStateService(entries, dialect, config.roamingObjectClass, clock),
    },
    {
      provide: PolicyService,
      inject: [LdapConnectionPool, { token: MESSAGING_LOGGER, optional: true }],
      useFactory: (pool: LdapConnectionPool, log: MessagingLogger | undefined) =>
        new PolicyService(
          { defaults: config.policyDefaults, overrides: config.policyOverrides },
          new DirectoryPolicyRepository(pool, config.policyDn),
          { containerDn: config.policyDn, cacheMs: config.policyCacheMs, clock, ...(log ? { log } : {}) },
        ),
    },
  ];
}
