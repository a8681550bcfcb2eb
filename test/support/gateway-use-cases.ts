// The gateway's use-cases without the broker, wired by the same provider list as the running service, for suites
// that drive them directly against a throwaway slapd, and the roaming-state cases that every directory must pass.
import { Test } from '@nestjs/testing';
import { type DirectoryAddition, type RoamingError } from '@credroam/roaming';
import { type GatewayConfig } from '../../apps/directory-gateway/src/config/gateway.config';
import { gatewayProviders } from '../../apps/directory-gateway/src/directory-gateway.providers';
import { LdapConnectionPool } from '../../apps/directory-gateway/src/ldap/ldap-connection.pool';
import { PolicyService } from '../../apps/directory-gateway/src/policy/policy.service';
import { RoamingStateService } from '../../apps/directory-gateway/src/roaming-state/roaming-state.service';
import { UsersService } from '../../apps/directory-gateway/src/users/users.service';
import { hashOf, liveAddition } from './gateway-fixtures';

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

/** Writes the first change set of an entry without roaming state and reads it back (the stamp must be the write's). */
export async function writeFirstChangeSet(
  gateway: GatewayUseCases,
  userDn: string,
  add: DirectoryAddition[],
) {
  const { stamp } = await gateway.roamingState.applyChanges({
    userDn,
    expectedStamp: null,
    add,
    remove: [],
    purgeWatermark: 0,
  });
  const after = await gateway.roamingState.readState(userDn);
  expect(after.stamp).toEqual(stamp);
  return after;
}

/**
 * Two writers race from the entry's current stamp: exactly one wins, the other gets DIRECTORY_STAMP_CHANGED, and
 * the entry holds the winner's token alone (nothing half-written).
 */
export async function expectOneOfTwoRacingWritersWins(
  gateway: GatewayUseCases,
  userDn: string,
  modifiedAt: number,
): Promise<void> {
  const { stamp } = await gateway.roamingState.readState(userDn);
  const outcomes = await Promise.allSettled(
    ['first', 'second'].map((name) =>
      gateway.roamingState.applyChanges({
        userDn,
        expectedStamp: stamp,
        add: [liveAddition(name, modifiedAt)],
        remove: [],
        purgeWatermark: 0,
      }),
    ),
  );
  expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  expect(
    outcomes
      .filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
      .map((outcome) => (outcome.reason as RoamingError).code),
  ).toEqual(['DIRECTORY_STAMP_CHANGED']);
  const { state } = await gateway.roamingState.readState(userDn);
  expect(state.entries).toHaveLength(1);
  expect([hashOf('first'), hashOf('second')]).toContain(state.entries[0]!.hash);
}
