// CONTRACT STUB of logon-events, for the agent's integration suite only: a small HTTP server that speaks the agent
// protocol of libs/roaming (contracts/sync.ts) while the real service is written in parallel. It validates every
// request and its own answers with the contract schemas, decides with the real reconcile function, and keeps one
// user's "directory" in memory. It is not logon-events: no LDAP, no broker, no storage sealing.
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  AGENT_API_PATHS,
  applyPlanToDirectory,
  createSessionRequestSchema,
  describeDirectoryValue,
  failureEventCode,
  POLICY_DEFAULTS,
  POLICY_KNOBS,
  reconcile,
  syncRequestSchema,
  syncResponseSchema,
  tokenKeyString,
  toLocalToken,
  unwrap,
  type DirectoryState,
  type ErrorCode,
  type SyncResponse,
} from '@credroam/roaming';
import {
  createSelfSignedCertificate,
  encodePem,
  openEnvelope,
  SECRET_PURPOSES,
  sealEnvelope,
  sealSecret,
  tokenHashMatches,
} from '@credroam/sealing';

interface StubSession {
  user: string;
  machine: string;
  device: KeyObject;
}

interface StubUser {
  password: string;
  hashKey: Buffer;
  directory: DirectoryState;
  /** Content by directory value ref: what token-crypto would keep sealed for storage. */
  contents: Map<string, Buffer>;
}

export interface CannedFailure {
  status: number;
  headers?: Record<string, string>;
  code: ErrorCode;
}

export class LogonEventsContractStub {
  private server: Server | undefined;
  private readonly transport = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly transportCertificate = unwrap(
    createSelfSignedCertificate(this.transport.privateKey, {
      commonName: 'credroam contract stub transport',
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 86_400_000),
    }),
  );
  private readonly sessions = new Map<string, StubSession>();
  private readonly users = new Map<string, StubUser>();
  private readonly failures: CannedFailure[] = [];
  /** Every request path in order, and the event codes a real server would have emitted. */
  readonly requests: string[] = [];
  readonly events: { user: string; code: number }[] = [];
  url = '';

  addUser(login: string, password: string): void {
    this.users.set(login, {
      password,
      hashKey: randomBytes(32),
      directory: { createdAt: null, modifiedAt: null, entries: [], reported: [], purgeWatermark: 0 },
      contents: new Map(),
    });
  }

  /** The next requests fail with these answers, in order (to exercise retries). */
  failNext(...failures: CannedFailure[]): void {
    this.failures.push(...failures);
  }

  directoryOf(login: string): DirectoryState {
    const user = this.users.get(login);
    if (!user) throw new Error(`no stub user ${login}`);
    return user.directory;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        this.problem(response, 500, 'INTERNAL', error.message);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? '';
    this.requests.push(path);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const failure = this.failures.shift();
    if (failure) {
      this.problem(response, failure.status, failure.code, 'canned failure', failure.headers);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.problem(response, 400, 'INVALID_INPUT', 'body is not JSON');
      return;
    }
    if (request.method === 'POST' && path === AGENT_API_PATHS.sessions) this.createSession(body, response);
    else if (request.method === 'POST' && path === AGENT_API_PATHS.sync) this.sync(request, body, response);
    else this.problem(response, 404, 'INVALID_INPUT', 'no such route');
  }

  private createSession(body: unknown, response: ServerResponse): void {
    const parsed = createSessionRequestSchema.safeParse(body);
    if (!parsed.success) {
      this.problem(response, 400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? 'invalid');
      return;
    }
    const user = this.users.get(parsed.data.user);
    if (!user || user.password !== parsed.data.password) {
      this.problem(response, 401, 'INVALID_CREDENTIALS', 'wrong user name or password');
      return;
    }
    const device = createPublicKey({
      key: Buffer.from(parsed.data.devicePublicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const sessionToken = randomBytes(32).toString('base64url');
    this.sessions.set(sessionToken, { user: parsed.data.user, machine: parsed.data.machine, device });
    this.json(response, 201, {
      sessionToken,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      transportCertificatePem: encodePem('CERTIFICATE', this.transportCertificate.der),
      policy: {
        policy: { ...POLICY_DEFAULTS },
        sources: Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default'])),
      },
      hashKeyEnvelope: unwrap(
        sealSecret(SECRET_PURPOSES.hashKey, user.hashKey, [{ publicKey: device }]),
      ).toString('base64'),
    });
  }

  private sync(request: IncomingMessage, body: unknown, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const session = token ? this.sessions.get(token) : undefined;
    if (!session) {
      this.problem(response, 401, 'SESSION_EXPIRED', 'unknown or expired session');
      return;
    }
    const parsed = syncRequestSchema.safeParse(body);
    if (!parsed.success) {
      this.problem(response, 400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? 'invalid');
      return;
    }
    const user = this.users.get(session.user) as StubUser;
    const now = Date.now();
    const uploaded = new Map<string, Buffer>();
    for (const upload of parsed.data.uploads) {
      const content = unwrap(
        openEnvelope(Buffer.from(upload.envelope, 'base64'), [
          { privateKey: this.transport.privateKey, certificate: this.transportCertificate },
        ]),
      );
      const meta = parsed.data.manifest.tokens.find((t) => tokenKeyString(t) === tokenKeyString(upload));
      if (!meta || !tokenHashMatches(user.hashKey, content, meta.hash)) {
        this.problem(response, 400, 'INTEGRITY_CHECK_FAILED', 'upload does not match its hash');
        return;
      }
      uploaded.set(tokenKeyString(upload), content);
    }
    const plan = reconcile({
      local: parsed.data.manifest,
      directory: user.directory,
      policy: POLICY_DEFAULTS,
      now,
    });
    const selfHealing = plan.fullResync !== null && parsed.data.baseStatus !== 'first-use';
    if (selfHealing) this.events.push({ user: session.user, code: 502 });
    for (const planned of plan.uploads) {
      const content = uploaded.get(tokenKeyString(planned.token));
      if (!content) {
        this.problem(response, 400, 'INVALID_INPUT', `upload missing for ${tokenKeyString(planned.token)}`);
        return;
      }
      user.contents.set(describeDirectoryValue(planned.token), content);
    }
    user.directory = applyPlanToDirectory(user.directory, plan, now);
    const stamp = user.directory.createdAt === null ? null : this.stamp(user.directory);
    const downloads = plan.downloads.map(({ token: planned }) => {
      const content = user.contents.get(describeDirectoryValue(planned)) as Buffer;
      return {
        token: toLocalToken(planned),
        envelope: unwrap(sealEnvelope(content, [{ publicKey: session.device }])).toString('base64'),
      };
    });
    const changed =
      plan.uploads.length + plan.tombstones.length + downloads.length + plan.localDeletions.length > 0;
    const base = plan.base
      ? { ...plan.base, directoryCreatedAt: plan.base.directoryCreatedAt ?? user.directory.createdAt }
      : (parsed.data.manifest.base ?? {
          directoryCreatedAt: user.directory.createdAt,
          syncedAt: now,
          entries: [],
        });
    const answer: SyncResponse = {
      status: plan.blocked ? 'blocked' : changed || plan.fullResync ? 'synced' : 'up-to-date',
      code: plan.blocked ? failureEventCode(plan.blocked.code) : selfHealing ? 2 : 1,
      correlationId: randomUUID(),
      stamp,
      downloads: plan.blocked ? [] : downloads,
      localDeletions: plan.blocked ? [] : plan.localDeletions,
      conflicts: plan.conflicts,
      rejections: plan.rejections,
      reported: plan.reported,
      base,
      fullResync: plan.fullResync,
      block: plan.blocked,
    } as SyncResponse;
    this.events.push({ user: session.user, code: answer.code });
    this.json(response, 200, syncResponseSchema.parse(answer));
  }

  private stamp(directory: DirectoryState): string {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(BigInt(directory.createdAt ?? 0), 0);
    bytes.writeBigUInt64LE(BigInt(directory.modifiedAt ?? 0), 8);
    return bytes.toString('base64');
  }

  private json(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }

  private problem(
    response: ServerResponse,
    status: number,
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    this.json(
      response,
      status,
      { error: { code, message, retryable: status >= 500 || status === 429 }, correlationId: randomUUID() },
      headers,
    );
  }
}
