// The gateway's use-cases without the broker, wired by the same provider list as the running service, for suites
// that drive them directly against a throwaway slapd.
import { Test } from '@nestjs/testing';
import { type GatewayConfig } from '../../apps/directory-gateway/src/config/gateway.config';
import { gatewayProviders } from '../../apps/directory-gateway/src/directory-gateway.providers';
import { LdapConnectionPool } from '../../apps/directory-gateway/src/ldap/ldap-connection.pool';
import { PolicyService } from '../../apps/directory-gateway/src/policy/policy.service';
import { RoamingStateService } from '../../apps/directory-gateway/src/roaming-state/roaming-state.service';
import { UsersService } from '../../apps/directory-gateway/src/users/users.service';

export interface GatewayUseCases {
  pool: LdapConnectionPool;
  users: UsersService;
  roamingState: RoamingStateService;
  policy: PolicyService;
}

export async function gatewayUseCases(config: GatewayConfig): Promise<GatewayUseCases> {
  const module = await Test.createTestingModule({ providers: gatewayProviders(config) }).compile();
  return {
    pool: module.get(LdapConnectionPool),
    users: module.get(UsersService),
    roamingState: module.get(RoamingStateService),
    policy: module.get(PolicyService),
  };
}
