import { type GatewayConfig } from './config/gateway.config';
import { dialectFor } from './ldap/attribute-dialect';
import { LdapConnectionPool } from './ldap/ldap-connection.pool';
import { PolicyService } from './policy/policy.service';
import { RoamingEntryRepository } from './roaming-state/roaming-entry.repository';
import { RoamingStateService } from './roaming-state/roaming-state.service';
import { UserDirectoryRepository } from './users/user-directory.repository';
import { UsersService } from './users/users.service';

/** The gateway's use-cases wired to one connection pool: what the Nest module provides and tests build. */
export interface GatewayServices {
  pool: LdapConnectionPool;
  users: UsersService;
  roamingState: RoamingStateService;
  policy: PolicyService;
}

export function createGatewayServices(
  config: GatewayConfig,
  clock: () => number = Date.now,
): GatewayServices {
  const pool = new LdapConnectionPool(config.ldap);
  const dialect = dialectFor(config.dialect);
  return {
    pool,
    users: new UsersService(new UserDirectoryRepository(pool, config), pool, config.serviceChannelKey),
    roamingState: new RoamingStateService(
      new RoamingEntryRepository(pool, dialect, config.roamingObjectClass),
      dialect,
      config.roamingObjectClass,
      clock,
    ),
    policy: new PolicyService(config.policyDefaults, config.policyOverrides),
  };
}
