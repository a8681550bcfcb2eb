import { randomUUID } from 'node:crypto';
import { createLogger } from '@credroam/platform';
import { type EventEnvelope } from '@credroam/roaming';
import { LiveFeedService, type LiveSink } from './live-feed.service';
import { type LiveEventSource } from '@credroam/messaging';

const silent = createLogger('audit-test', { level: 'silent' });

class FakeSource implements LiveEventSource {
  started = 0;
  stopped = 0;
  fail = false;
  private onStop: () => void = () => undefined;
  readonly firstStop = new Promise<void>((resolve) => (this.onStop = resolve));
  emit: (event: EventEnvelope) => void = () => undefined;

  async start(onEvent: (event: EventEnvelope) => void): Promise<void> {
    if (this.fail) throw new Error('broker down');
    this.started++;
    this.emit = onEvent;
  }

  async stop(): Promise<void> {
    this.stopped++;
    this.onStop();
  }
}

function sink(capacity = Infinity) {
  const received: string[] = [];
  let closed = false;
  const value: LiveSink = {
    send: (event) => {
      if (received.length >= capacity) return false;
      received.push(event.id);
      return true;
    },
    close: () => void (closed = true),
  };
  return { value, received, closed: () => closed };
}

const envelope = (user: string, id: string = randomUUID()): EventEnvelope => ({
  id,
  type: 'sync.started',
  version: 1,
  occurredAt: new Date().toISOString(),
  correlationId: 'c-1',
  user,
  machine: 'WS-1',
  code: 1,
  payload: {},
});

describe('live feed', () => {
  it('subscribes to the broker on the first client only and delivers each event to the clients it matches', async () => {
    const source = new FakeSource();
    const feed = new LiveFeedService(source, silent);
    const all = sink();
    const alice = sink();
    await feed.subscribe({}, all.value);
    await feed.subscribe({ user: 'alice' }, alice.value);
    expect(source.started).toBe(1);
    const first = envelope('alice');
    source.emit(first);
    source.emit(envelope('bob'));
    expect(all.received).toHaveLength(2);
    expect(alice.received).toEqual([first.id]);
    await feed.close();
  });

  it('drops an event id it already delivered (a publisher resend)', async () => {
    const source = new FakeSource();
    const feed = new LiveFeedService(source, silent, { dedupeWindow: 2 });
    const client = sink();
    await feed.subscribe({}, client.value);
    const [a, b, c] = [envelope('u'), envelope('u'), envelope('u')];
    for (const event of [a, a, b, c, a]) source.emit(event);
    // `a` left the two-id window after b and c, so its third copy is delivered again.
    expect(client.received).toEqual([a.id, b.id, c.id, a.id]);
    await feed.close();
  });

  it('closes a client that cannot keep up, without affecting the others', async () => {
    const source = new FakeSource();
    const counts: number[] = [];
    const feed = new LiveFeedService(source, silent, { onClientsChanged: (count) => counts.push(count) });
    const slow = sink(1);
    const fast = sink();
    await feed.subscribe({}, slow.value);
    await feed.subscribe({}, fast.value);
    for (let i = 0; i < 3; i++) source.emit(envelope('u'));
    expect(slow.closed()).toBe(true);
    expect(fast.received).toHaveLength(3);
    expect(counts).toEqual([1, 2, 1]);
    await feed.close();
  });

  it('leaves the broker a while after the last client went, and comes back for the next one', async () => {
    const source = new FakeSource();
    const feed = new LiveFeedService(source, silent, { idleMs: 10 });
    const unsubscribe = await feed.subscribe({}, sink().value);
    unsubscribe();
    expect(source.stopped).toBe(0);
    await source.firstStop;
    expect(source.stopped).toBe(1);
    await feed.subscribe({}, sink().value);
    expect(source.started).toBe(2);
    await feed.close();
  });

  it('answers SERVICE_UNAVAILABLE when the broker cannot be reached, and tries again next time', async () => {
    const source = new FakeSource();
    source.fail = true;
    const feed = new LiveFeedService(source, silent);
    await expect(feed.subscribe({}, sink().value)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    source.fail = false;
    await expect(feed.subscribe({}, sink().value)).resolves.toEqual(expect.any(Function));
    await feed.close();
  });
});
