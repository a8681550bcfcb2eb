import { type SyncTrigger, type WorkstationFailureCode } from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { type UnlockedSession } from './credentials';
import { type LogonClient } from './logon-client';

const MAX_PROBLEM_CHARS = 512;

/** One printable line of at most 512 characters, as the edge accepts it. */
export function problemLine(text: string): string {
  const line = text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim() || 'unknown problem';
  return line.length > MAX_PROBLEM_CHARS ? `${line.slice(0, MAX_PROBLEM_CHARS - 1)}…` : line;
}

/**
 * Tells logon-events, for the audit, about a failure met on this workstation (the Windows codes 1002, 1003,
 * 1006, 1007). Best-effort: a report that cannot be sent is logged and never fails the command.
 */
export class FailureReporter {
  constructor(
    private readonly client: LogonClient,
    private readonly unlocked: UnlockedSession,
    private readonly trigger: SyncTrigger | null,
    private readonly logger?: Logger,
  ) {}

  async report(code: WorkstationFailureCode, problem: string): Promise<void> {
    try {
      await this.client.reportEvent(
        this.unlocked.session.sessionToken,
        { code, problem: problemLine(problem), trigger: this.trigger },
        this.unlocked.deviceKey,
      );
    } catch (error) {
      this.logger?.warn({ code, err: (error as Error).message }, 'workstation failure not reported');
    }
  }
}
