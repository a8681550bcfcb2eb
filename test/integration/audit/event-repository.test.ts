// audit's batch insert on each real database: batches of any size are stored exactly once, every column round-trips
// with its type, and on SQLite one statement text serves every batch size. A text per size filled TypeORM's cache
// of prepared statements (100 by text) with compiled programs in native memory: audit's RSS peaked 30-50 MB higher
// in bench:storm (docs/logon-storm.md).
import { randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadAuditConfig } from '../../../apps/audit/src/config/audit.config';
import { AuditEventRepository } from '../../../apps/audit/src/storage/audit-event.repository';
import { type AuditEventRow } from '../../../apps/audit/src/storage/audit-event.entity';
import { dataSourceOptions, runMigrations } from '../../../apps/audit/src/storage/database';
import { OPERATOR_TOKEN } from './support/audit-app';
import { AUDIT_DATABASES, type AuditDatabase } from './support/databases';

const BATCH_SIZES = [1, 2, 37, 256];

function row(index: number): AuditEventRow {
  const token = index % 2 === 0;
  return {
    id: randomUUID(),
    type: token ? 'token.downloaded' : 'sync.completed',
    version: 1,
    occurredAt: Date.UTC(2026, 11, 5) + index,
    receivedAt: Date.UTC(2026, 11, 5) + index + 7,
    correlationId: `corr-${index}`,
    user: index % 3 === 0 ? null : `user-${index}`,
    machine: index % 5 === 0 ? null : 'WS-1',
    code: token ? 0 : 1001,
    tokenType: token ? 'stored-credential' : null,
    tokenId: token ? `Domain:target=héllo "${index}" 'x' \\ 🔑` : null,
    tokenSize: token ? 1000 + index : null,
    payload: JSON.stringify({ index, text: 'ünïcode, "quotes" and \\ backslashes', nested: [1, null, true] }),
  };
}

describe.each(AUDIT_DATABASES)('the audit event repository on $name', (database) => {
  let created: AuditDatabase;
  let dataSource: DataSource;
  let repository: AuditEventRepository;

  beforeAll(async () => {
    created = await database.create();
    dataSource = await new DataSource(
      dataSourceOptions(
        loadAuditConfig({ CREDROAM_AUDIT_DB: created.url, CREDROAM_AUDIT_OPERATOR_TOKEN: OPERATOR_TOKEN })
          .database,
      ) as DataSourceOptions,
    ).initialize();
    await runMigrations(dataSource);
    repository = new AuditEventRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await created?.drop();
  });

  it('stores batches of every size once, each column as it was given, and tells the new ids from the stored', async () => {
    for (const size of BATCH_SIZES) {
      const rows = Array.from({ length: size }, (_, index) => row(index));
      expect(await repository.insert(rows)).toEqual(new Set(rows.map((stored) => stored.id)));
      const again = [...rows.slice(0, 1), row(size)];
      expect(await repository.insert(again)).toEqual(new Set([again[1]?.id]));

      const stored = await dataSource.query(
        `SELECT id, type, version, occurred_at, received_at, correlation_id, user_name, machine, code, token_type,
           token_id, token_size, payload FROM audit_event WHERE id IN (${rows.map((_, index) => (repository.databaseKind === 'postgres' ? `$${index + 1}` : '?')).join(', ')})`,
        rows.map((stored) => stored.id),
      );
      const byId = new Map<string, Record<string, unknown>>(
        stored.map((record: Record<string, unknown>) => [String(record.id), record]),
      );
      for (const expected of rows) {
        const record = byId.get(expected.id);
        expect({
          ...record,
          // PostgreSQL gives bigint as a string.
          occurred_at: Number(record?.occurred_at),
          received_at: Number(record?.received_at),
        }).toEqual({
          id: expected.id,
          type: expected.type,
          version: expected.version,
          occurred_at: expected.occurredAt,
          received_at: expected.receivedAt,
          correlation_id: expected.correlationId,
          user_name: expected.user,
          machine: expected.machine,
          code: expected.code,
          token_type: expected.tokenType,
          token_id: expected.tokenId,
          token_size: expected.tokenSize,
          payload: expected.payload,
        });
      }
    }
  });

  if (database.name === 'SQLite') {
    it('inserts batches of every size with one statement text', async () => {
      const texts = new Set<string>();
      const query = dataSource.query.bind(dataSource);
      const spy = jest
        .spyOn(dataSource, 'query')
        .mockImplementation((sql: string, parameters?: unknown[]) => {
          texts.add(sql);
          return query(sql, parameters);
        });
      try {
        for (const size of BATCH_SIZES)
          await repository.insert(Array.from({ length: size }, (_, index) => row(index)));
      } finally {
        spy.mockRestore();
      }
      expect(texts.size).toBe(1);
    });
  }
});
