import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The event table and one index per query the API serves: each filter column leads an index that continues
 * with (occurred_at, id), so "newest first, after this cursor" is a single backward index range scan. The same
 * SQL runs on PostgreSQL and SQLite.
 */
export class CreateAuditEvent1764028800000 implements MigrationInterface {
  name = 'CreateAuditEvent1764028800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit_event (
        id varchar(36) NOT NULL PRIMARY KEY,
        type varchar(64) NOT NULL,
        version integer NOT NULL,
        occurred_at bigint NOT NULL,
        received_at bigint NOT NULL,
        correlation_id varchar(128) NOT NULL,
        user_name varchar(256),
        machine varchar(64),
        code integer NOT NULL,
        token_type varchar(32),
        token_id varchar(512),
        token_size integer,
        payload text NOT NULL
      )`);
    // Listing, time ranges and the retention purge.
    await runner.query(`CREATE INDEX ix_audit_event_time ON audit_event (occurred_at, id)`);
    // Per-user pages and the per-user summary.
    await runner.query(`CREATE INDEX ix_audit_event_user ON audit_event (user_name, occurred_at, id)`);
    await runner.query(`CREATE INDEX ix_audit_event_machine ON audit_event (machine, occurred_at, id)`);
    // Type filters and the fleet summary (syncs per minute, failures, conflicts).
    await runner.query(`CREATE INDEX ix_audit_event_type ON audit_event (type, occurred_at, id)`);
    await runner.query(`CREATE INDEX ix_audit_event_code ON audit_event (code, occurred_at, id)`);
    await runner.query(`CREATE INDEX ix_audit_event_correlation ON audit_event (correlation_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE audit_event`);
  }
}
