import { openServiceSecret } from '@credroam/sealing';
import { RoamingError, type AccountStatus, type DirectoryUser, type RpcRequest } from '@credroam/roaming';
import { type AccountStatusMapping } from '../ldap/account-status.mapping';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';
import { type UserDirectoryRepository } from './user-directory.repository';

/** The purpose a sealed password is bound to: it opens only for a check of this user's password. */
export function passwordPurpose(login: string): string {
  return `verify-password:${login}`;
}

export class UsersService {
  constructor(
    private readonly users: UserDirectoryRepository,
    private readonly pool: LdapConnectionPool,
    private readonly serviceChannelKey: Buffer | null,
    private readonly accountStatus: AccountStatusMapping,
  ) {}

  lookup(login: string): Promise<DirectoryUser> {
    return this.users.findByLogin(login);
  }

  /** Opens the sealed password, binds as the user once, forgets the password. Never cached. */
  async verifyPassword(login: string, sealedPassword: Buffer): Promise<DirectoryUser> {
    if (!this.serviceChannelKey) {
      throw new RoamingError('KEY_UNAVAILABLE', 'password checks need CREDROAM_SERVICE_CHANNEL_KEY_FILE');
    }
    const opened = openServiceSecret(this.serviceChannelKey, passwordPurpose(login), sealedPassword);
    if (!opened.ok) throw RoamingError.fromInfo(opened.error);
    const password = opened.value;
    try {
      // An empty password would be an unauthenticated bind, which LDAP servers accept as anonymous.
      if (password.length === 0)
        throw new RoamingError('INVALID_CREDENTIALS', 'the user name or password is wrong');
      const user = await this.users.findByLogin(login).catch((error: unknown) => {
        // Unknown users and wrong passwords look the same from outside.
        if (error instanceof RoamingError && error.code === 'USER_NOT_FOUND') {
          throw new RoamingError('INVALID_CREDENTIALS', 'the user name or password is wrong');
        }
        throw error;
      });
      await this.pool.verifyBind(user.dn, password.toString('utf8'));
      return user;
    } finally {
      password.fill(0);
    }
  }

  /**
   * Whether the account a session authenticated may still renew it without the password: the same entry (a login
   * now naming another entry is `missing`), not disabled or locked, no password set after the session's logon.
   * pwdChangedTime has whole seconds: a change within the second after the logon goes unseen.
   */
  async checkAccount(
    request: RpcRequest<'directory.check-account'>,
  ): Promise<{ status: AccountStatus; user: DirectoryUser | null }> {
    const found = await this.users
      .findEntry(request.login, this.accountStatus.attributes)
      .catch((error: unknown) => {
        if (error instanceof RoamingError && error.code === 'USER_NOT_FOUND') return null;
        throw error;
      });
    if (found === null || found.user.stableId !== request.stableId) return { status: 'missing', user: null };
    const flags = this.accountStatus.read(found.entry);
    const changed =
      flags.passwordChangedAt !== null && flags.passwordChangedAt > Date.parse(request.authenticatedAt);
    const status = flags.disabled
      ? 'disabled'
      : flags.locked
        ? 'locked'
        : changed
          ? 'password-changed'
          : 'usable';
    return { status, user: found.user };
  }
}
