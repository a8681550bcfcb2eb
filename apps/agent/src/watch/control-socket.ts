import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { parseWith } from '@credroam/roaming';

/**
 * The watch daemon's control socket, a unix socket in the store (mode 0600 in a 0700 directory: only the user).
 * One JSON line in, one JSON line out. A socket rather than a pid and SIGUSR1: a client learns whether a daemon
 * answers (no signal to a recycled pid) and gets the result of the sync it asked for; a second daemon for the
 * same store finds the first one answering and refuses to start.
 */
export const controlRequestSchema = z.object({ op: z.enum(['pulse', 'stop']) }).strict();
export type ControlRequest = z.output<typeof controlRequestSchema>;

export const ATTEMPT_RESULTS = [
  'synced',
  'up-to-date',
  'blocked',
  'unreachable',
  'busy',
  'not-logged-in',
  'failed',
] as const;

/** One sync attempt of the daemon, as `sync --trigger pulse` reports it. */
export const attemptReportSchema = z
  .object({
    result: z.enum(ATTEMPT_RESULTS),
    /** The exit code `credroam-agent sync` would have answered. */
    exitCode: z.number().int().min(0).max(4),
    message: z.string().max(1_000),
  })
  .strict();
export type AttemptReport = z.output<typeof attemptReportSchema>;

export const controlReplySchema = z.union([
  z.object({ op: z.literal('pulse'), attempt: attemptReportSchema }).strict(),
  z.object({ op: z.literal('stop') }).strict(),
]);
export type ControlReply = z.output<typeof controlReplySchema>;

const MAX_LINE = 4_096;

export interface ControlHandlers {
  /** Resolves with the first sync attempt that starts after the request. */
  pulse(): Promise<AttemptReport>;
  /** Resolves once the daemon has stopped: the client then knows no sync of the daemon can follow. */
  stop(): Promise<void>;
}

/** Listens on `path`; refuses (throws) when a daemon already answers there, replaces a socket a crash left. */
export async function listenControl(path: string, handlers: ControlHandlers): Promise<Server> {
  if (await answers(path)) throw new Error('a watch daemon already runs for this store');
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  const server = createServer((socket) => serve(socket, handlers));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

function serve(socket: Socket, handlers: ControlHandlers): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const end = buffer.indexOf('\n');
    if (end < 0) {
      if (buffer.length > MAX_LINE) socket.destroy();
      return;
    }
    socket.removeAllListeners('data');
    let request: ControlRequest;
    try {
      const parsed = parseWith(controlRequestSchema, JSON.parse(buffer.slice(0, end)));
      if (!parsed.ok) throw new Error(parsed.error.message);
      request = parsed.value;
    } catch {
      socket.destroy();
      return;
    }
    if (request.op === 'stop') {
      void handlers.stop().then(() => {
        if (!socket.destroyed) socket.end(`${JSON.stringify({ op: 'stop' })}\n`);
      });
      return;
    }
    void handlers.pulse().then((attempt) => {
      if (!socket.destroyed) socket.end(`${JSON.stringify({ op: 'pulse', attempt })}\n`);
    });
  });
}

/** Whether a daemon answers on `path`. */
async function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Sends one request to the daemon of a store. Null when no daemon answers (no socket, or a stale one); throws
 * when a daemon answered something invalid or not in time.
 */
export async function sendControl(
  path: string,
  request: ControlRequest,
  timeoutMs: number,
): Promise<ControlReply | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let connected = false;
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the watch daemon did not answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      settle();
    };
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE) done(() => reject(new Error('the watch daemon answered too much')));
    });
    socket.once('error', (error) => done(() => (connected ? reject(error) : resolve(null))));
    socket.once('end', () =>
      done(() => {
        try {
          const parsed = parseWith(controlReplySchema, JSON.parse(buffer));
          if (parsed.ok) resolve(parsed.value);
          else reject(new Error(`the watch daemon answered an invalid reply: ${parsed.error.message}`));
        } catch {
          reject(new Error('the watch daemon closed the connection without an answer'));
        }
      }),
    );
  });
}
