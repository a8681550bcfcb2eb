import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_ACCOUNTS, type BrokerAccount } from '@credroam/messaging';
import { RoamingError } from '@credroam/roaming';

/**
 * The broker accounts' passwords, one file per account (`<account>.password`, mode 0600) in a directory only the
 * operator reads: made once, then reused, so a service's secret and the broker agree across restarts.
 */
export class BrokerPasswordsRepository {
  constructor(private readonly dir: string) {}

  fileOf(account: BrokerAccount): string {
    return join(this.dir, `${account}.password`);
  }

  /** Every account's password, creating the ones that do not exist yet. */
  readOrCreate(): Record<BrokerAccount, string> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    return Object.fromEntries(
      BROKER_ACCOUNTS.map((account) => {
        const file = this.fileOf(account);
        if (!existsSync(file))
          writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
        const password = readFileSync(file, 'utf8').trim();
        if (!/^[A-Za-z0-9_-]{16,256}$/.test(password)) {
          throw new RoamingError(
            'INVALID_INPUT',
            `${file}: a broker password must be 16-256 characters of [A-Za-z0-9_-] (it goes into URLs)`,
          );
        }
        return [account, password];
      }),
    ) as Record<BrokerAccount, string>;
  }
}
