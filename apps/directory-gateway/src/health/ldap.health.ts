import { type HealthIndicatorService } from '@nestjs/terminus';
import { RoamingError } from '@credroam/roaming';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';

/** terminus indicator of the directory: the service account reads the base entry through the pool. */
export class LdapHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly pool: LdapConnectionPool,
    private readonly baseDn: string,
  ) {}

  async isHealthy(key = 'ldap') {
    const indicator = this.indicators.check(key);
    try {
      await this.pool.search(
        this.baseDn,
        { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] },
        'the health check',
      );
      return indicator.up();
    } catch (error) {
      // A RoamingError's message is ours (no DN of a user, no password); anything else stays in the log.
      return indicator.down({
        message: error instanceof RoamingError ? error.message : 'directory check failed',
      });
    }
  }
}
