import { isIP } from 'node:net';
import { type ConnectionOptions } from 'node:tls';
import { Client, type Change, type Entry, type SearchOptions } from 'ldapts';
import { type LdapSettings } from '../config/gateway.config';
import { isConnectionFailure, toRoamingError } from './ldap-error.mapper';

/**
 * A few long-lived connections bound as the service account, used round-robin (LDAP multiplexes operations on
 * one connection). A connection that fails below the protocol (server restart, reset, timeout) is dropped and
 * rebuilt, bound again, on its next use: the gateway recovers from a directory restart by itself. Every
 * operation has a timeout, so a hung directory fails fast instead of piling up requests.
 */
export class LdapConnectionPool {
  /** Connections being opened or open, by slot; `clients` holds the ones that are open. */
  private readonly slots: (Promise<Client> | undefined)[];
  private readonly clients: (Client | undefined)[];
  private next = 0;
  private inFlight = 0;

  constructor(private readonly settings: LdapSettings) {
    this.slots = new Array<Promise<Client> | undefined>(settings.poolSize).fill(undefined);
    this.clients = new Array<Client | undefined>(settings.poolSize).fill(undefined);
  }

  async search(base: string, options: SearchOptions, operation: string): Promise<Entry[]> {
    return this.withConnection(
      operation,
      async (client) => (await client.search(base, options)).searchEntries,
    );
  }

  async modify(dn: string, changes: Change[], operation: string): Promise<void> {
    await this.withConnection(operation, (client) => client.modify(dn, changes));
  }

  /**
   * Binds as `dn` on a fresh connection and unbinds at once: the way to check a user's password. Never pooled,
   * never cached.
   */
  async verifyBind(dn: string, password: string): Promise<void> {
    const client = this.newClient();
    try {
      await this.secure(client);
      await client.bind(dn, password);
    } catch (error) {
      throw toRoamingError(error, 'the password check');
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** For the pool gauges: connections configured, open (bound) and operations in flight. */
  stats(): { configured: number; open: number; busy: number } {
    const open = this.clients.filter((client) => client?.isConnected === true).length;
    return { configured: this.slots.length, open, busy: this.inFlight };
  }

  async close(): Promise<void> {
    const clients = await Promise.allSettled(this.slots.filter((slot) => slot !== undefined));
    this.slots.fill(undefined);
    await Promise.all(
      clients.map((settled) =>
        settled.status === 'fulfilled' ? settled.value.unbind().catch(() => undefined) : undefined,
      ),
    );
  }

  private async withConnection<T>(operation: string, work: (client: Client) => Promise<T>): Promise<T> {
    const index = this.next;
    this.next = (this.next + 1) % this.slots.length;
    let client: Client;
    try {
      client = await this.connection(index);
    } catch (error) {
      throw toRoamingError(error, operation);
    }
    this.inFlight++;
    try {
      return await work(client);
    } catch (error) {
      if (isConnectionFailure(error)) this.drop(index, client);
      throw toRoamingError(error, operation);
    } finally {
      this.inFlight--;
    }
  }

  private connection(index: number): Promise<Client> {
    const held = this.clients[index];
    // ldapts reconnects a closed socket by itself, but without the bind: rebuild instead.
    if (held && !held.isConnected) this.drop(index, held);
    const pending = this.slots[index];
    if (pending) return pending;
    const created = this.bound().then(
      (client) => {
        if (this.slots[index] === created) this.clients[index] = client;
        return client;
      },
      (error: unknown) => {
        if (this.slots[index] === created) this.slots[index] = undefined;
        throw error;
      },
    );
    this.slots[index] = created;
    return created;
  }

  private drop(index: number, client: Client): void {
    if (this.clients[index] === client) {
      this.clients[index] = undefined;
      this.slots[index] = undefined;
    }
    void client.unbind().catch(() => undefined);
  }

  private async bound(): Promise<Client> {
    const client = this.newClient();
    try {
      await this.secure(client);
      await client.bind(this.settings.bindDn, this.settings.bindPassword);
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }

  private async secure(client: Client): Promise<void> {
    if (!this.settings.startTls) return;
    // Upgrading an existing socket, TLS knows no host name: give it the URL's, to check the certificate against.
    const { hostname } = new URL(this.settings.url);
    await client.startTLS({
      ...this.tlsOptions(),
      ...(isIP(hostname) ? { host: hostname } : { servername: hostname }),
    });
  }

  private tlsOptions(): ConnectionOptions {
    return this.settings.caPem ? { ca: [this.settings.caPem] } : {};
  }

  private newClient(): Client {
    return new Client({
      url: this.settings.url,
      timeout: this.settings.timeoutMs,
      connectTimeout: this.settings.connectTimeoutMs,
      // ldapts opens TLS at connect whenever tlsOptions are present, so only ldaps:// gets them here.
      ...(this.settings.url.startsWith('ldaps:') ? { tlsOptions: this.tlsOptions() } : {}),
    });
  }
}
