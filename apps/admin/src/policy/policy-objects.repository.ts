// The admin CLI's reads and writes of the policy objects, with its own directory account (the shipped ACLs let it
// write the policy container and nothing else).
import { Attribute, Change, type Client } from 'ldapts';
import { RoamingError, type PolicyEntryValues } from '@credroam/roaming';
import { isLostRace, toRoamingError } from '../../../directory-gateway/src/ldap/ldap-error.mapper';
import {
  POLICY_SEARCH,
  policyEntryValues,
} from '../../../directory-gateway/src/policy/directory-policy.repository';
import { openAdminDirectory } from '../directory/admin-directory.client';
import { type AdminDirectoryConfig } from '../directory/admin-directory.config';
import { type PolicyWrite } from './policy-change';

export class PolicyObjectsRepository {
  private constructor(private readonly client: Client) {}

  static async open(config: AdminDirectoryConfig): Promise<PolicyObjectsRepository> {
    return new PolicyObjectsRepository(await openAdminDirectory(config));
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }

  /** The policy entries under the container; null when there is no container. */
  async read(containerDn: string): Promise<PolicyEntryValues[] | null> {
    try {
      const { searchEntries } = await this.client.search(containerDn, {
        ...POLICY_SEARCH,
        attributes: [...POLICY_SEARCH.attributes],
      });
      return searchEntries.map(policyEntryValues);
    } catch (error) {
      const mapped = toRoamingError(error, `reading the policy at ${containerDn}`);
      if (mapped.code === 'USER_NOT_FOUND') return null;
      throw mapped;
    }
  }

  /** Whether the entry a link names exists (and this account may see it). */
  async exists(dn: string): Promise<boolean> {
    try {
      await this.client.search(dn, { scope: 'base', attributes: ['1.1'] });
      return true;
    } catch (error) {
      const mapped = toRoamingError(error, `looking up ${dn}`);
      if (mapped.code === 'USER_NOT_FOUND') return false;
      throw mapped;
    }
  }

  /**
   * Makes the writes in order. Each modify deletes the exact values it replaces, so an administrator who changed
   * the same knob meanwhile makes it fail instead of being overwritten.
   */
  async apply(writes: readonly PolicyWrite[]): Promise<void> {
    for (const write of writes) {
      try {
        if (write.op === 'add') await this.client.add(write.dn, write.attributes);
        else if (write.op === 'delete') await this.client.del(write.dn);
        else {
          await this.client.modify(write.dn, [
            ...write.remove.map((values) => change('delete', values)),
            ...write.add.map((values) => change('add', values)),
          ]);
        }
      } catch (error) {
        const mapped = toRoamingError(error, `writing ${write.dn}`);
        if (isLostRace(mapped) || mapped.code === 'USER_NOT_FOUND' || ldapResult(error) === 68) {
          throw new RoamingError(
            'DIRECTORY_STAMP_CHANGED',
            `the policy changed while this command ran (${write.dn}); read it again with "credroam policy show" and retry`,
          );
        }
        throw mapped;
      }
    }
  }
}

function change(operation: 'add' | 'delete', values: { type: string; values: string[] }): Change {
  return new Change({ operation, modification: new Attribute({ type: values.type, values: values.values }) });
}

/** entryAlreadyExists (68): another administrator created the same entry first. */
function ldapResult(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}
