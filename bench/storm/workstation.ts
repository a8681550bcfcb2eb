import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type TokenMeta } from '@credroam/roaming';
import { tokenHash } from '@credroam/sealing';
import { AgentApiClient } from '../../apps/agent/src/sync/agent-api.client';
import { requireSession } from '../../apps/agent/src/sync/credentials';
import { LoginService } from '../../apps/agent/src/sync/login.service';
import { SyncService, type SyncOutcome } from '../../apps/agent/src/sync/sync.service';
import { type FetchLike } from '../../apps/agent/src/sync/transport-security';
import { AgentStore } from '../../apps/agent/src/store/agent-store';
import { StoreLayout } from '../../apps/agent/src/store/store-layout';

/** Bytes between the agents and the edge (logon-events' HTTP API), counted in the agents' fetch. */
export class WireCounter {
  bytes = 0;

  /**
   * The agent's fetch, counting each request and response: request line, headers and body as sent, status line,
   * headers and body as received (HTTP/1.1 framing, without TCP/IP overhead).
   */
  readonly fetch: FetchLike = async (url, init) => {
    const { pathname } = new URL(url);
    this.bytes += `${init.method} ${pathname} HTTP/1.1\r\n`.length + Buffer.byteLength(init.body, 'utf8') + 2;
    for (const [name, value] of Object.entries(init.headers)) this.bytes += name.length + value.length + 4;
    const response = await fetch(url, init);
    const body = Buffer.from(await response.arrayBuffer());
    this.bytes += `HTTP/1.1 ${response.status} ${response.statusText}\r\n`.length + body.length + 2;
    response.headers.forEach((value, name) => (this.bytes += name.length + value.length + 4));
    const empty = response.status === 204 || response.status === 304;
    return new Response(empty ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * A simulated workstation: its own agent store (a directory, as on a real machine) driven by the agent's own
 * LoginService and SyncService over the agent's AgentApiClient, in this process.
 */
export class Workstation {
  private readonly store: AgentStore;
  private readonly client: AgentApiClient;

  constructor(
    readonly user: { uid: string; password: string },
    readonly machine: string,
    root: string,
    private readonly server: string,
    wire: WireCounter,
  ) {
    const dir = join(root, machine);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.store = AgentStore.open(new StoreLayout(dir));
    // One attempt: a failure is a failure of the benchmark, not something to hide behind a retry.
    this.client = new AgentApiClient({
      server,
      fetch: wire.fetch,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
  }

  /** What a logon does: a session for this machine (password check), then a sync. */
  async firstLogon(): Promise<SyncOutcome> {
    await new LoginService(this.store, this.client, Date.now).login({
      server: this.server,
      user: this.user.uid,
      password: this.user.password,
      machine: this.machine,
    });
    return this.sync();
  }

  sync(): Promise<SyncOutcome> {
    return new SyncService(this.store, () => this.client, Date.now).sync('logon');
  }

  /** The tokens in the local store. */
  tokens(): { meta: TokenMeta; content: Buffer }[] {
    return this.store.tokens.list().tokens;
  }

  /** The user changes one stored credential on this machine (new content, hashed with the session's hash key). */
  changeOne(content: Buffer): TokenMeta {
    const current = this.tokens().find((token) => token.meta.type === 'stored-credential');
    if (!current) throw new Error(`${this.machine} holds no stored credential to change`);
    const { hashKey } = requireSession(this.store, Date.now());
    const meta: TokenMeta = {
      ...current.meta,
      hash: tokenHash(hashKey, content),
      size: content.length,
      modifiedAt: Math.max(Date.now(), current.meta.modifiedAt + 1),
    };
    hashKey.fill(0);
    this.store.tokens.put({ meta, content });
    return meta;
  }
}
