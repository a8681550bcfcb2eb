import { createLogger } from '@credroam/platform';
import { type ChangeNotice } from '@credroam/roaming';
import { waitFor } from '../../../../test/helpers/wait-for';
import { ChangeListener } from './change-listener';

const AT = (seconds: number) => new Date(Date.UTC(2026, 11, 3, 8, 0, seconds)).toISOString();

/** A server that answers each wait from a script: a notice, an error, or a wait that ends only when stopped. */
function setup(script: (ChangeNotice | Error | 'unsupported' | 'hold')[], held: () => string | null) {
  const asked: (string | null)[] = [];
  const changed: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const listener = new ChangeListener({
    wait: async (after, stop) => {
      asked.push(after);
      const next = script.shift() ?? 'hold';
      if (next === 'hold') {
        await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
        throw new Error('aborted');
      }
      if (next instanceof Error) throw next;
      return next;
    },
    heldStamp: held,
    changed: (modifiedAt) => changed.push(modifiedAt),
    backoff: { baseMs: 1, maxMs: 4 },
    logger: createLogger('spec', {
      level: 'debug',
      destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
    }),
  });
  return { listener, asked, changed, logs };
}

describe('ChangeListener', () => {
  it('asks again after what it announced, so a change is announced once while its sync is pending', async () => {
    const { listener, asked, changed } = setup(
      [
        { changed: true, modifiedAt: AT(5) },
        { changed: false, modifiedAt: AT(5) },
      ],
      () => AT(1),
    );
    listener.start();
    await waitFor(() => asked.length === 3, { description: 'the third wait' });
    await listener.stop();
    expect(changed).toEqual([AT(5)]);
    expect(asked).toEqual([AT(1), AT(5), AT(5)]);
  });

  it('asks after what the store holds once its sync has gone past the announcement', async () => {
    let held: string | null = null;
    const { listener, asked } = setup([{ changed: true, modifiedAt: AT(5) }], () => held);
    listener.start();
    await waitFor(() => asked.length === 2, { description: 'the second wait' });
    held = AT(9);
    await listener.stop();
    const again = setup([], () => held);
    again.listener.start();
    await waitFor(() => again.asked.length === 1, { description: 'a wait' });
    await again.listener.stop();
    expect(asked).toEqual([null, AT(5)]);
    expect(again.asked).toEqual([AT(9)]);
  });

  it('backs off after failures and goes on waiting', async () => {
    const { listener, asked, logs } = setup(
      [new Error('unreachable'), new Error('unreachable'), { changed: false, modifiedAt: null }],
      () => null,
    );
    listener.start();
    await waitFor(() => asked.length === 4, { description: 'the wait after the failures' });
    await listener.stop();
    const retries = logs.filter((line) => typeof line.waitAgainInMs === 'number');
    expect(retries.map((line) => line.waitFailures)).toEqual([1, 2]);
  });

  it('stops listening, saying so once, when the transport announces no changes', async () => {
    const { listener, asked, logs } = setup(['unsupported'], () => null);
    listener.start();
    await listener.stop();
    expect(asked).toHaveLength(1);
    expect(logs.filter((line) => String(line.msg).includes('cannot announce'))).toHaveLength(1);
  });
});
