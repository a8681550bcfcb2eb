import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import {
  machineBaseSchema,
  machineIdSchema,
  parseWith,
  settledMarkSchema,
  stampSchema,
  syncTriggerSchema,
  timestampMsSchema,
} from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

/** The per-machine state file (Windows' state.dat): what this machine last synced, i.e. its merge base. */
export const agentStateSchema = z
  .object({
    format: z.literal(1),
    machine: machineIdSchema,
    base: machineBaseSchema.nullable(),
    /** The directory stamp of the last sync (base64 of its 16 bytes). */
    lastStamp: stampSchema.nullable(),
    lastSync: z
      .object({
        at: timestampMsSchema,
        trigger: syncTriggerSchema,
        status: z.enum(['up-to-date', 'synced', 'blocked']),
        code: z.number().int(),
        correlationId: z.string().max(128),
      })
      .strict()
      .nullable(),
    /**
     * The last sync was settled (its answer carried `mark`) and left the tokens whose manifest digest is `manifest`:
     * while they are unchanged, the next sync is a check (POST /v1/sync/check). Absent: send the manifest.
     */
    settled: z
      .object({ mark: settledMarkSchema, manifest: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
      .strict()
      .optional(),
  })
  .strict();
export type AgentState = z.output<typeof agentStateSchema>;

export type StateRead =
  | { health: 'ok'; state: AgentState }
  /** `firstUse`: no state file was ever written in this store (neither it nor its backup exists). */
  | { health: 'missing'; state: null; firstUse: boolean }
  | { health: 'corrupt'; state: null; problem: string };

export class StateFile {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  /** A missing file is a first use; an unreadable or invalid one is corrupt (the caller self-heals). */
  read(): StateRead {
    let text: string;
    try {
      text = readFileSync(this.layout.stateFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return { health: 'missing', state: null, firstUse: !existsSync(this.layout.stateBackupFile) };
      }
      return { health: 'corrupt', state: null, problem: `state file is unreadable (${code ?? 'error'})` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { health: 'corrupt', state: null, problem: 'state file is not valid JSON' };
    }
    const parsed = parseWith(agentStateSchema, json);
    if (!parsed.ok)
      return { health: 'corrupt', state: null, problem: `state file is invalid: ${parsed.error.message}` };
    return { health: 'ok', state: parsed.value };
  }

  /**
   * Keeps the current file (when it is valid) as the backup, then replaces it atomically. The first state file
   * is its own backup, so a deleted state file is told apart from a store that never synced. A write that only
   * moves the times of the last sync (an up-to-date sync, most logons) keeps the backup it has: it already holds
   * this merge base, and two durable writes fewer is most of what such a logon costs the workstation.
   */
  write(state: AgentState): void {
    const checked = parseWith(agentStateSchema, state);
    if (!checked.ok) throw new Error(`refusing to write an invalid state file: ${checked.error.message}`);
    const current = this.read();
    if (current.health === 'ok' && !sameMergeBase(current.state, checked.value)) this.backupCurrent();
    this.writer.write(this.layout.stateFile, `${JSON.stringify(checked.value)}\n`);
    if (!existsSync(this.layout.stateBackupFile)) this.backupCurrent();
  }

  private backupCurrent(): void {
    this.writer.write(this.layout.stateBackupFile, readFileSync(this.layout.stateFile));
  }
}

function sameMergeBase(a: AgentState, b: AgentState): boolean {
  const mergeBase = (state: AgentState) => ({
    machine: state.machine,
    lastStamp: state.lastStamp,
    directoryCreatedAt: state.base?.directoryCreatedAt,
    entries: state.base?.entries,
  });
  return isDeepStrictEqual(mergeBase(a), mergeBase(b));
}
