import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isSafeTokenId } from '@credroam/roaming';
import { type AgentStore } from '../store/agent-store';

/** What credroam put into (or took over in) one NSS database: by certificate thumbprint, whether with its key. */
export type NssRecordEntries = Map<string, { key: boolean }>;

const entrySchema = z
  .object({
    thumbprint: z.string().refine((id) => isSafeTokenId('certificate', id)),
    key: z.boolean(),
  })
  .strict();
const recordSchema = z
  .object({ format: z.literal(1), databases: z.record(z.string(), z.array(entrySchema)) })
  .strict();
type RecordFile = z.infer<typeof recordSchema>;

/**
 * `nss.json` in the store (0600, written atomically): per NSS database, the certificates credroam manages there.
 * Only those are ever removed from NSS; a certificate in NSS and not recorded is the user's own. An unreadable
 * record counts as empty: certificates in NSS that are also roamed are taken over again at the next NSS sync.
 */
export class NssRecord {
  constructor(private readonly store: AgentStore) {}

  private get file(): string {
    return join(this.store.layout.root, 'nss.json');
  }

  read(database: string): NssRecordEntries {
    const entries = this.readFile().databases[database] ?? [];
    return new Map(entries.map((entry) => [entry.thumbprint, { key: entry.key }]));
  }

  write(database: string, entries: NssRecordEntries): void {
    const record = this.readFile();
    const sorted = [...entries].sort(([a], [b]) => a.localeCompare(b));
    record.databases[database] = sorted.map(([thumbprint, { key }]) => ({ thumbprint, key }));
    this.store.writer.write(this.file, `${JSON.stringify(record, null, 2)}\n`);
  }

  private readFile(): RecordFile {
    try {
      const parsed = recordSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // missing or not JSON: as empty
    }
    return { format: 1, databases: {} };
  }
}
