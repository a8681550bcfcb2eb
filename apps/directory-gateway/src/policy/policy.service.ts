import {
  parseDirectoryPolicy,
  resolveLayeredPolicy,
  type DirectoryPolicy,
  type EffectivePolicy,
  type Policy,
  type PolicyOverride,
} from '@credroam/roaming';
import { type MessagingLogger } from '@credroam/messaging';
import { type DirectoryPolicyRepository } from './directory-policy.repository';

export interface PolicyBootstrap {
  defaults: Policy;
  overrides: readonly PolicyOverride[];
}

export interface PolicyCacheOptions {
  /** The container's DN, named in logs. */
  containerDn: string;
  /** How long one read of the directory's policy is reused; 0: read for every resolution. */
  cacheMs: number;
  clock?: () => number;
  log?: Pick<MessagingLogger, 'info' | 'warn' | 'error'>;
}

interface Loaded {
  directory: DirectoryPolicy | null;
  expiresAt: number;
}

/**
 * The Group Policy analog: the bootstrap (policy file or built-in defaults) under the directory's policy objects,
 * resolved for one user. The directory's policy is read at most once per cache lifetime (shared by concurrent
 * resolutions), so a change an administrator makes is seen within that lifetime, without a restart.
 */
export class PolicyService {
  private loaded: Loaded | null = null;
  private loading: Promise<Loaded> | null = null;
  /** The last problem logged, so an invalid policy is reported when it appears, not at every read. */
  private lastProblem: string | null = null;

  constructor(
    private readonly bootstrap: PolicyBootstrap,
    private readonly repository: DirectoryPolicyRepository | null = null,
    private readonly options: PolicyCacheOptions = { containerDn: '', cacheMs: 0 },
  ) {}

  async resolve(userDn: string, groups: readonly string[]): Promise<EffectivePolicy> {
    const directory = await this.directoryPolicy();
    return resolveLayeredPolicy({ bootstrap: this.bootstrap, directory }, { dn: userDn, groups });
  }

  /** The directory's policy in force now (null: the bootstrap alone), read again once the cached one expired. */
  async directoryPolicy(): Promise<DirectoryPolicy | null> {
    if (this.repository === null) return null;
    const now = this.now();
    if (this.loaded !== null && now < this.loaded.expiresAt) return this.loaded.directory;
    this.loading ??= this.load(this.repository).finally(() => {
      this.loading = null;
    });
    return (await this.loading).directory;
  }

  private async load(repository: DirectoryPolicyRepository): Promise<Loaded> {
    let entries;
    try {
      entries = await repository.read();
    } catch (error) {
      // A directory that cannot be read now fails the logon anyway; keep what was read last meanwhile.
      if (this.loaded === null) throw error;
      this.options.log?.warn(
        { dn: this.options.containerDn, err: (error as Error).message },
        'directory policy not read; keeping the last one read',
      );
      return this.remember(this.loaded.directory);
    }
    if (entries === null) {
      this.report(null);
      return this.remember(null);
    }
    const parsed = parseDirectoryPolicy(this.options.containerDn, entries);
    if (!parsed.ok) {
      // Never half-applied: the whole directory policy is set aside until it is valid again.
      this.report(parsed.error.message);
      return this.remember(null);
    }
    this.report(null);
    if (!samePolicy(this.loaded?.directory ?? null, parsed.value)) {
      // The file's overrides give way to the directory's: say so, since they are still in the file.
      this.options.log?.info(
        {
          dn: parsed.value.dn,
          overrides: parsed.value.overrides.length,
          fileOverridesSetAside: this.bootstrap.overrides.length,
        },
        'directory policy loaded',
      );
    }
    return this.remember(parsed.value);
  }

  private report(problem: string | null): void {
    if (problem !== null && problem !== this.lastProblem) {
      this.options.log?.error(
        { code: 'INVALID_POLICY', dn: this.options.containerDn, problem },
        'the directory policy is invalid and is not applied; the bootstrap policy (file or built-in) applies until it is fixed',
      );
    }
    this.lastProblem = problem;
  }

  private remember(directory: DirectoryPolicy | null): Loaded {
    this.loaded = { directory, expiresAt: this.now() + this.options.cacheMs };
    return this.loaded;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

function samePolicy(a: DirectoryPolicy | null, b: DirectoryPolicy): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
