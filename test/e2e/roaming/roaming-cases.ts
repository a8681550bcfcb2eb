// The users' roaming cases, run on slapd (agent-roaming.test.ts, conflicts-and-types.test.ts) and on a real Samba
// AD DC (samba-ad-roaming.test.ts): bin/credroam-agent on simulated workstations against the real services. Each
// function registers its `it`s in the caller's describe, on the caller's stack.
import { filesUnder } from '../../helpers/files';
import { type GeneratedCertificate, type OpensslWorkspace } from '../../helpers/openssl';
import { waitFor } from '../../helpers/wait-for';
import {
  credentialContent,
  expectOk,
  tokenContent,
  type ListedToken,
  type Workstations,
} from '../../support/agent-cli';
import { windowsValue, type TestDirectory } from '../../support/gateway-fixtures';
import { type BrokerProbe } from '../../support/messaging-fixtures';
import { plantValue } from '../../support/planted-values';

/** A cap, not a wait: each case runs the agent a dozen times, a few seconds each on a loaded two-core machine. */
const CASE_TIMEOUT_MS = 120_000;

export interface RoamingCaseContext {
  directory: () => TestDirectory;
  /** The URL the workstations log on to (HTTP or the AMQP ingress). */
  server: () => string;
  workstations: Workstations;
  workspace: () => OpensslWorkspace;
  /** The parent of every workstation's store. */
  dir: () => string;
}

/**
 * alice's certificate and key imported on ws-a reach ws-b byte-identical; a deletion on ws-b reaches ws-a; a
 * planted value with an escaping identifier is reported and never written to disk. Logs ws-a, ws-b, ws-c on.
 */
export function certificateRoamingCases(context: RoamingCaseContext): void {
  const { store, run, login, sync, list } = context.workstations;
  let certificate: GeneratedCertificate;
  beforeAll(async () => {
    certificate = await context.workspace().selfSignedCertificate({
      algorithm: 'rsa-2048',
      subject: '/CN=alice signing',
    });
  });

  it(
    'brings a certificate and its key imported on A to B, byte-identical',
    async () => {
      await login('ws-a');
      const status = await run('ws-a', ['status', '--json']);
      expectOk(status);
      const { server } = JSON.parse(status.stdout) as { server: string };
      expect(server.split(':')[0]).toBe(context.server().split(':')[0]);
      expect(server).not.toContain('guest:guest');
      expectOk(await run('ws-a', ['import', certificate.certFile]));
      expectOk(await run('ws-a', ['import', certificate.keyFile]));
      const onA = await list('ws-a');
      expect(onA.map((token) => token.type).sort()).toEqual(['certificate', 'private-key']);
      expect((await sync('ws-a')).rejections).toEqual([]);

      await login('ws-b');
      await sync('ws-b');
      const onB = await list('ws-b');
      expect(onB.map(({ type, id, hash, size }) => ({ type, id, hash, size }))).toEqual(
        onA.map(({ type, id, hash, size }) => ({ type, id, hash, size })),
      );
      for (const token of onA) {
        expect(
          tokenContent(store('ws-b'), token.type, token.id).equals(
            tokenContent(store('ws-a'), token.type, token.id),
          ),
        ).toBe(true);
      }
      expect(
        tokenContent(store('ws-b'), 'certificate', certificate.thumbprint).equals(certificate.certDer),
      ).toBe(true);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'propagates a deletion made on B to A',
    async () => {
      expectOk(await run('ws-b', ['delete', 'certificate', certificate.thumbprint]));
      await sync('ws-b');
      await sync('ws-a');
      expect((await list('ws-a')).map((token) => token.type)).toEqual(['private-key']);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'reports a planted value with an escaping identifier, never writes it to disk, and syncs the rest',
    async () => {
      await plantValue(
        context.directory(),
        context.directory().user('alice').dn,
        windowsValue('..\\..\\evil.bat', '9', Date.now() + 60_000),
      );
      const other = await context.workspace().selfSignedCertificate({
        algorithm: 'p-256',
        subject: '/CN=alice encryption',
      });
      expectOk(await run('ws-a', ['import', other.certFile]));
      await sync('ws-a');

      await login('ws-c');
      const result = await sync('ws-c');
      expect(result.rejections).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'UNSAFE_IDENTIFIER' })]),
      );
      expect((await list('ws-c')).map((token) => token.id)).toEqual(
        expect.arrayContaining([other.thumbprint]),
      );
      for (const file of filesUnder(store('ws-c'))) expect(file).not.toMatch(/evil/);
      for (const file of filesUnder(context.dir())) expect(file.startsWith(context.dir())).toBe(true);
    },
    CASE_TIMEOUT_MS,
  );
}

export const CREDENTIAL_TARGET = 'TERMSRV/fileserver.example.com';

interface ConflictEvent {
  type: string;
  code: number;
  user: string | null;
  machine: string | null;
  payload: {
    type: string;
    id: string;
    kind: string;
    winner: string;
    local: { hash: string; modifiedAt: number } | null;
    directory: { hash: string; modifiedAt: number } | null;
  };
}

export function pickToken(tokens: ListedToken[], type: string, id: string): ListedToken | undefined {
  return tokens.find((token) => token.type === type && token.id === id);
}

/** `credential set` on a workstation, checking that the secret is not echoed. */
export async function setCredential(
  workstations: Workstations,
  workstation: string,
  secret: string,
  userName: string,
): Promise<{ status: string; modifiedAt: number }> {
  const result = await workstations.run(
    workstation,
    ['credential', 'set', CREDENTIAL_TARGET, '--secret-stdin', '--username', userName, '--json'],
    `${secret}\n`,
  );
  expectOk(result);
  expect(result.stdout).not.toContain(secret);
  return JSON.parse(result.stdout) as { status: string; modifiedAt: number };
}

/**
 * alice's stored credential set on ws-a reaches ws-b (policy roams stored credentials), and edits of it on both
 * resolve to the newer one with a token.conflict published. ws-a and ws-b must be logged on as alice;
 * `conflicts()` is a probe queue observing token.conflict.
 */
export function storedCredentialCases(
  context: RoamingCaseContext & { probe: () => BrokerProbe; conflicts: () => string },
): void {
  const { workstations } = context;
  const { store, sync, list } = workstations;

  it(
    'brings a stored credential set on A to B when policy roams stored credentials',
    async () => {
      expect(await setCredential(workstations, 'ws-a', 'first-secret', 'alice')).toMatchObject({
        status: 'added',
      });
      // Only about the credential: the suite's earlier cases may have left other values reported.
      expect((await sync('ws-a')).rejections).not.toContainEqual(
        expect.objectContaining({ tokenType: 'stored-credential' }),
      );
      await sync('ws-b');
      const onA = pickToken(await list('ws-a'), 'stored-credential', CREDENTIAL_TARGET);
      expect(pickToken(await list('ws-b'), 'stored-credential', CREDENTIAL_TARGET)).toEqual(onA);
      expect(
        tokenContent(store('ws-b'), 'stored-credential', CREDENTIAL_TARGET).equals(
          credentialContent('first-secret', 'alice'),
        ),
      ).toBe(true);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'resolves edits of the same credential on A and B to the newer one on both, and publishes a conflict',
    async () => {
      const editA = await setCredential(workstations, 'ws-a', 'edited-on-a', 'alice');
      // B's edit must be the later one: wait for the clock to pass A's, not a fixed time.
      await waitFor(() => Date.now() > editA.modifiedAt, { description: "the clock to pass A's edit" });
      const editB = await setCredential(workstations, 'ws-b', 'edited-on-b', 'alice');
      expect(editB.modifiedAt).toBeGreaterThan(editA.modifiedAt);

      await sync('ws-a');
      await sync('ws-b');
      await sync('ws-a');

      const expected = credentialContent('edited-on-b', 'alice');
      for (const workstation of ['ws-a', 'ws-b']) {
        expect(
          tokenContent(store(workstation), 'stored-credential', CREDENTIAL_TARGET).equals(expected),
        ).toBe(true);
        expect(pickToken(await list(workstation), 'stored-credential', CREDENTIAL_TARGET)).toMatchObject({
          modifiedAt: editB.modifiedAt,
        });
      }
      const message = await context.probe().takeMatching(context.conflicts(), (candidate) => {
        const event = JSON.parse(candidate.content.toString('utf8')) as ConflictEvent;
        return event.payload.type === 'stored-credential' && event.payload.id === CREDENTIAL_TARGET;
      });
      const event = JSON.parse(message.content.toString('utf8')) as ConflictEvent;
      expect(event).toMatchObject({
        type: 'token.conflict',
        code: 501,
        user: 'alice',
        machine: 'ws-b',
        payload: {
          kind: 'both-changed',
          winner: 'local',
          local: expect.objectContaining({ modifiedAt: editB.modifiedAt }),
          directory: expect.objectContaining({ modifiedAt: editA.modifiedAt }),
        },
      });
    },
    CASE_TIMEOUT_MS,
  );
}
