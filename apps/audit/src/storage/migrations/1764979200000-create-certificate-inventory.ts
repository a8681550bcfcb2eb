import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The fleet's certificate inventory: one row per (user, certificate), the facts the token events carried, kept
 * beyond the events' retention (a certificate uploaded a year ago still expires). `changed_at` is the newest event
 * applied, so a redelivered or late older event never undoes a newer one; a tombstone or purge marks the row
 * removed instead of deleting it, for the same reason. `weaknesses` is a comma-separated list, empty for none.
 * The same SQL runs on PostgreSQL and SQLite.
 */
export class CreateCertificateInventory1764979200000 implements MigrationInterface {
  name = 'CreateCertificateInventory1764979200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE certificate_inventory (
        user_name varchar(256) NOT NULL,
        thumbprint varchar(40) NOT NULL,
        subject varchar(4096) NOT NULL,
        issuer varchar(4096) NOT NULL,
        serial_number varchar(64) NOT NULL,
        not_before bigint NOT NULL,
        not_after bigint NOT NULL,
        key_algorithm varchar(32) NOT NULL,
        key_size integer,
        signature_algorithm varchar(64) NOT NULL,
        weaknesses varchar(256) NOT NULL,
        first_seen_at bigint NOT NULL,
        changed_at bigint NOT NULL,
        removed_at bigint,
        PRIMARY KEY (user_name, thumbprint)
      )`);
    // "Expiring within N days" fleet-wide, the gauges and the chart by week: a range scan on not_after.
    await runner.query(
      `CREATE INDEX ix_certificate_inventory_expiry ON certificate_inventory (removed_at, not_after)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE certificate_inventory`);
  }
}
