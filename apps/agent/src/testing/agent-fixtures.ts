// A logged-in agent store for specs, without a server: a device key, a session whose hash key envelope is sealed
// to it, and a transport certificate whose key the spec holds (to open uploads like token-crypto would).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  POLICY_DEFAULTS,
  POLICY_KNOBS,
  unwrap,
  type CreateSessionResponse,
  type SyncResponse,
  type TokenMeta,
  type TokenType,
} from '@credroam/roaming';
import { encodePem, SECRET_PURPOSES, sealSecret, tokenHash } from '@credroam/sealing';
import { keyFixture, type KeyFixture } from '../../../../libs/sealing/src/testing/key-fixtures';
import { AgentStore } from '../store/agent-store';
import { type AtomicWriteHooks } from '../store/atomic-file.writer';
import { type Session } from '../store/session.file';
import { StoreLayout } from '../store/store-layout';
import { type StoredToken } from '../store/token.repository';

export const NOW = 1_760_000_000_000;

/** The directory stamp the specs' stand-in server answers with. */
export const SYNC_STAMP = Buffer.alloc(16, 7).toString('base64');

/** A sync answer that changes nothing, with what a spec overrides. */
export function syncResponse(overrides: Partial<SyncResponse> = {}): SyncResponse {
  return {
    status: 'synced',
    code: 1,
    correlationId: 'c-1',
    stamp: SYNC_STAMP,
    downloads: [],
    localDeletions: [],
    conflicts: [],
    rejections: [],
    reported: [],
    base: { directoryCreatedAt: NOW - 5000, syncedAt: NOW, entries: [] },
    fullResync: null,
    block: null,
    ...overrides,
  };
}

export interface AgentFixture {
  dir: string;
  store: AgentStore;
  hashKey: Buffer;
  transport: KeyFixture;
  session: Session;
  token(type: TokenType, id: string, content: Buffer, extra?: Partial<TokenMeta>): StoredToken;
  dispose(): void;
}

export function tempStoreDir(): string {
  return mkdtempSync(join(tmpdir(), 'credroam-agent-spec-'));
}

/** A fresh store layout (made, mode 0700) in its own temp dir for each test of the calling describe block. */
export function useTempStoreLayout(): { readonly dir: string; readonly layout: StoreLayout } {
  const current = { dir: '', layout: null as unknown as StoreLayout };
  beforeEach(() => {
    current.dir = tempStoreDir();
    current.layout = new StoreLayout(join(current.dir, 'store'));
    current.layout.ensure();
  });
  afterEach(() => rmSync(current.dir, { recursive: true, force: true }));
  return current;
}

/** What logon-events grants at a logon with the default policy, as the specs' stand-in server answers. */
export function sessionGrant(transport: KeyFixture, hashKeyEnvelope: string): CreateSessionResponse {
  return {
    sessionToken: 'session-token-0123456789',
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    renewableUntil: new Date(NOW + 36_000_000).toISOString(),
    transportCertificatePem: encodePem('CERTIFICATE', transport.certificate.der),
    policy: {
      policy: { ...POLICY_DEFAULTS },
      sources: Object.fromEntries(
        POLICY_KNOBS.map((knob) => [knob, 'default']),
      ) as CreateSessionResponse['policy']['sources'],
    },
    hashKeyEnvelope,
  };
}

export function agentFixture(hooks: AtomicWriteHooks = {}): AgentFixture {
  const dir = tempStoreDir();
  const store = AgentStore.open(new StoreLayout(join(dir, 'store')), hooks);
  const device = store.deviceKeys.loadOrCreate();
  const hashKey = randomBytes(32);
  const transport = keyFixture('rsa-2048', 'agent-transport');
  const session: Session = {
    format: 1,
    server: 'http://127.0.0.1:8440/',
    user: 'alice',
    machine: 'ws-a',
    ...sessionGrant(
      transport,
      unwrap(sealSecret(SECRET_PURPOSES.hashKey, hashKey, [{ publicKey: device.publicKey }])).toString(
        'base64',
      ),
    ),
    loggedInAt: new Date(NOW).toISOString(),
  };
  store.session.write(session);
  return {
    dir,
    store,
    hashKey,
    transport,
    session,
    token: (type, id, content, extra = {}) => ({
      meta: {
        type,
        id,
        modifiedAt: NOW - 1000,
        hash: tokenHash(hashKey, content),
        size: content.length,
        flags: { archived: false, encryptionKey: false, smartCard: false },
        ...extra,
      },
      content,
    }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
