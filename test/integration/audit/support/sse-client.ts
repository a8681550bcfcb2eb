// Reads audit's Server-Sent Events with fetch streaming, as the dashboard does.

export interface SseClient {
  /** Resolves when the server says the subscription is live. */
  ready: Promise<void>;
  events: Record<string, unknown>[];
  close(): void;
}

export function openSse(url: string, token: string): SseClient {
  const controller = new AbortController();
  const events: Record<string, unknown>[] = [];
  let markReady: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  void (async () => {
    try {
      const response = await fetch(url, {
        headers: { Authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (name === 'ready') markReady();
          if (name === 'audit-event' && data) events.push(JSON.parse(data) as Record<string, unknown>);
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) fail(error);
    }
  })();
  return { ready, events, close: () => controller.abort() };
}
