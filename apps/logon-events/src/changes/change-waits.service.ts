import { parseWith, unwrap, waitForChangeRequestSchema, type ChangeNotice } from '@credroam/roaming';
import { type SessionClaims } from '../sessions/session-token';
import { type ChangeNotifier } from './change-notifier';

/**
 * `POST /v1/changes/wait`: a workstation's long poll for its user's directory changes made elsewhere, so its watch
 * daemon syncs at once instead of at its next refresh. The answer carries no data, only that and when: the sync
 * that follows is an ordinary one, with its own grants.
 */
export class ChangeWaitsService {
  constructor(private readonly notifier: ChangeNotifier) {}

  async wait(claims: SessionClaims, body: unknown, signal: AbortSignal): Promise<ChangeNotice> {
    const request = unwrap(parseWith(waitForChangeRequestSchema, body, 'INVALID_INPUT'));
    const outcome = await this.notifier.wait({
      user: claims.login,
      machine: claims.machine,
      after: request.after === null ? null : Date.parse(request.after),
      timeoutMs: request.waitSeconds * 1000,
      signal,
    });
    return outcome.changed
      ? { changed: true, modifiedAt: new Date(outcome.modifiedAt).toISOString() }
      : { changed: false, modifiedAt: request.after };
  }
}
