// The two databases audit runs on, each a fresh one per suite: a temporary SQLite file, or a database of its own
// on the local PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, dropDatabase, postgresUrl } from './postgres';

export interface AuditDatabase {
  url: string;
  drop(): Promise<void>;
}

export const AUDIT_DATABASES: readonly { name: string; create(): Promise<AuditDatabase> }[] = [
  {
    name: 'SQLite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'credroam-audit-'));
      return {
        url: `sqlite:${join(dir, 'audit.sqlite')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async create() {
      const name = await createDatabase();
      return { url: postgresUrl(name), drop: () => dropDatabase(name) };
    },
  },
];
