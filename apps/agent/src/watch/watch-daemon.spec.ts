import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RoamingError, type SyncTrigger } from '@credroam/roaming';
import { createLogger } from '@credroam/platform';
import { waitFor } from '../../../../test/helpers/wait-for';
import { type SyncOutcome } from '../sync/sync.service';
import { agentFixture, type AgentFixture } from '../testing/agent-fixtures';
import { sendControl } from './control-socket';
import { WatchDaemon } from './watch-daemon';

/** An outcome as SyncService returns it, for a stand-in sync. */
function outcome(status: 'synced' | 'up-to-date', uploaded = 0): SyncOutcome {
  return {
    response: { status, code: 1, block: null } as SyncOutcome['response'],
    uploaded,
    downloaded: 0,
    deleted: 0,
    recordsProblem: null,
    selfHealed: null,
    skippedFiles: 0,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    applicationStoreProblems: [],
  };
}

describe('WatchDaemon', () => {
  let fixture: AgentFixture;
  let daemon: WatchDaemon;
  let logs: Record<string, unknown>[];
  let triggers: SyncTrigger[];
  let next: (trigger: SyncTrigger, whileLocked: () => void) => Promise<SyncOutcome>;

  beforeEach(async () => {
    fixture = agentFixture();
    logs = [];
    triggers = [];
    next = async () => outcome('up-to-date');
    daemon = new WatchDaemon(
      { debounceMs: 20, backoff: { baseMs: 60_000, maxMs: 60_000 }, extraPaths: () => [] },
      {
        layout: fixture.store.layout,
        env: { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent' },
        logger: createLogger('spec', {
          level: 'debug',
          destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
        }),
        refreshMs: () => 3_600_000,
        // The server's transport announces no changes here: the listener ends at once.
        waitForChange: async () => 'unsupported',
        heldStamp: () => null,
        sync: (trigger, whileLocked) => {
          triggers.push(trigger);
          return next(trigger, whileLocked);
        },
      },
    );
    await daemon.start();
    await waitFor(() => triggers.includes('logon'), { description: 'the logon sync' });
  });
  afterEach(async () => {
    await daemon.stop();
    fixture.dispose();
  });

  const pulse = async () => {
    const reply = await sendControl(fixture.store.layout.watchSocket, { op: 'pulse' }, 5_000);
    return reply?.op === 'pulse' ? reply.attempt : null;
  };

  it('tells a pulse how its sync ended: an expired session, an unreachable server, a sync', async () => {
    next = async () => {
      throw new RoamingError('SESSION_EXPIRED', 'the session has expired');
    };
    expect(await pulse()).toEqual({
      result: 'not-logged-in',
      exitCode: 3,
      message: 'the session has expired [SESSION_EXPIRED]',
    });
    next = async () => {
      throw new RoamingError('SERVICE_UNAVAILABLE', 'server unreachable');
    };
    expect(await pulse()).toMatchObject({ result: 'unreachable', exitCode: 4 });
    next = async () => outcome('synced', 2);
    // The pulse cuts the backoff short.
    expect(await pulse()).toEqual({
      result: 'synced',
      exitCode: 0,
      message: 'synced: 2 sent, 0 downloaded, 0 deleted',
    });
  });

  it('syncs after a store change, and not again for the writes of its own sync', async () => {
    const certificates = fixture.store.layout.tokenTypeDir('certificate');
    next = async (_trigger, whileLocked) => {
      writeFileSync(join(certificates, 'downloaded.token'), 'written by the sync');
      whileLocked();
      return outcome('synced', 1);
    };
    writeFileSync(join(certificates, 'imported.token'), 'written by an import');
    await waitFor(() => triggers.includes('store-change'), { description: 'a store-change sync' });
    await waitFor(() => logs.some((line) => line.msg === 'store change: nothing new since the last sync'), {
      description: 'the own write recognised',
    });
    expect(triggers).toEqual(['logon', 'store-change']);
  });

  it('stops on request over the socket, and then answers no more', async () => {
    expect(await sendControl(fixture.store.layout.watchSocket, { op: 'stop' }, 5_000)).toEqual({
      op: 'stop',
    });
    await daemon.finished;
    expect(await sendControl(fixture.store.layout.watchSocket, { op: 'pulse' }, 5_000)).toBeNull();
  });
});
