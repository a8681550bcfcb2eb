import { ChangeNotifier, type ChangeWait } from './change-notifier';

const T0 = Date.UTC(2026, 11, 3, 8);

function setup(maxUsers = 100) {
  let now = T0;
  const notifier = new ChangeNotifier({ rememberMs: 120_000, maxUsers, now: () => now });
  return { notifier, advance: (ms: number) => (now += ms) };
}

const onB = (fields: Partial<ChangeWait> = {}): ChangeWait => ({
  user: 'alice',
  machine: 'WS-B',
  after: T0,
  timeoutMs: 25_000,
  ...fields,
});

describe('ChangeNotifier', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("wakes a user's waiting workstation when another one changes the directory", async () => {
    const { notifier } = setup();
    const waiting = notifier.wait(onB());
    expect(notifier.waiting()).toBe(1);
    notifier.record('Alice', 'WS-A', T0 + 5);
    await expect(waiting).resolves.toEqual({ changed: true, modifiedAt: T0 + 5 });
    expect(notifier.waiting()).toBe(0);
  });

  it("is not woken by its own changes, another user's, or a stamp it already holds", async () => {
    const { notifier } = setup();
    const waiting = notifier.wait(onB());
    notifier.record('alice', 'WS-B', T0 + 5);
    notifier.record('bob', 'WS-A', T0 + 6);
    notifier.record('alice', 'WS-A', T0);
    jest.advanceTimersByTime(25_000);
    await expect(waiting).resolves.toEqual({ changed: false });
  });

  it('answers at once for a change heard before the wait began, newer than what the workstation holds', async () => {
    const { notifier, advance } = setup();
    notifier.record('alice', 'WS-A', T0 + 10);
    advance(1_000);
    await expect(notifier.wait(onB())).resolves.toEqual({ changed: true, modifiedAt: T0 + 10 });
    // Once the workstation holds that stamp, it waits again.
    const again = notifier.wait(onB({ after: T0 + 10 }));
    expect(notifier.waiting()).toBe(1);
    notifier.releaseAll();
    await expect(again).resolves.toEqual({ changed: false });
  });

  it('keeps the newest stamp whatever order the events arrive in', async () => {
    const { notifier } = setup();
    notifier.record('alice', 'WS-A', T0 + 20);
    notifier.record('alice', 'WS-C', T0 + 15);
    await expect(notifier.wait(onB({ after: T0 + 18 }))).resolves.toEqual({
      changed: true,
      modifiedAt: T0 + 20,
    });
  });

  it('forgets changes after rememberMs and beyond maxUsers, the oldest first', async () => {
    const { notifier, advance } = setup(2);
    notifier.record('alice', 'WS-A', T0 + 1);
    advance(121_000);
    notifier.record('bob', 'WS-A', T0 + 1);
    notifier.record('carol', 'WS-A', T0 + 1);
    notifier.record('dave', 'WS-A', T0 + 1);
    const forgotten = ['alice', 'bob'].map((user) => notifier.wait(onB({ user, timeoutMs: 10 })));
    const remembered = ['carol', 'dave'].map((user) => notifier.wait(onB({ user })));
    jest.advanceTimersByTime(10);
    await expect(Promise.all(forgotten)).resolves.toEqual([{ changed: false }, { changed: false }]);
    await expect(Promise.all(remembered)).resolves.toEqual([
      { changed: true, modifiedAt: T0 + 1 },
      { changed: true, modifiedAt: T0 + 1 },
    ]);
  });

  it('ends a wait whose caller went away, and drops it', async () => {
    const { notifier } = setup();
    const gone = new AbortController();
    const waiting = notifier.wait(onB({ signal: gone.signal }));
    gone.abort();
    await expect(waiting).resolves.toEqual({ changed: false });
    expect(notifier.waiting()).toBe(0);
    const late = new AbortController();
    late.abort();
    await expect(notifier.wait(onB({ signal: late.signal }))).resolves.toEqual({ changed: false });
    expect(notifier.waiting()).toBe(0);
  });

  it('wakes every waiting workstation of the user at once', async () => {
    const { notifier } = setup();
    const waits = ['WS-B', 'WS-C'].map((machine) => notifier.wait(onB({ machine, after: null })));
    notifier.record('alice', 'WS-A', T0 + 1);
    await expect(Promise.all(waits)).resolves.toEqual([
      { changed: true, modifiedAt: T0 + 1 },
      { changed: true, modifiedAt: T0 + 1 },
    ]);
  });
});
