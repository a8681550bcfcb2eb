// The directory credroam ships (deploy/openldap: schema and ACLs, in both slapd.conf and cn=config form) and the
// throwaway slapd the other suites run against, exercised with ldapts against a real slapd.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  Attribute,
  Change,
  Client,
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchAttributeError,
  ObjectClassViolationError,
  TypeOrValueExistsError,
  type Entry,
} from 'ldapts';
import { OpensslWorkspace } from '../../helpers/openssl';
import { startServiceProcess } from '../../helpers/service-process';
import { startSlapd, useSlapd, withLdap, type SlapdHandle, type SlapdUserOptions } from '../../helpers/slapd';

const STAMP = 'msPKIRoamingTimeStamp';
const MASTER_KEYS = 'msPKIDPAPIMasterKeys';
const CREDENTIALS = 'msPKIAccountCredentials';
const ROAMING = [STAMP, MASTER_KEYS, CREDENTIALS];
const ROAMING_CLASS = 'credroamRoamingUser';
// What the gateway may see of an entry (credroam-acl.conf rule 5, plus the roaming attributes).
const GATEWAY_VISIBLE = [
  'dn',
  'objectClass',
  'uid',
  'cn',
  'displayName',
  'mail',
  'entryUUID',
  'entryDN',
  'memberOf',
];

const user = (uid: string, extra: Partial<SlapdUserOptions> = {}): SlapdUserOptions => ({
  uid,
  password: `${uid}-pass`,
  ...extra,
});

const add = (type: string, ...values: (Buffer | string)[]) =>
  new Change({
    operation: 'add',
    modification: new Attribute({ type, values: values as Buffer[] | string[] }),
  });
const remove = (type: string, ...values: (Buffer | string)[]) =>
  new Change({
    operation: 'delete',
    modification: new Attribute({ type, values: values as Buffer[] | string[] }),
  });
const addRoamingClass = () => add('objectClass', ROAMING_CLASS);

/** ldapts gives one value as a scalar, several as an array, an absent or ACL-hidden attribute as []. */
function valuesOf<T extends Buffer | string>(entry: Entry, attribute: string): T[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  if (key === undefined) return [];
  const value = entry[key];
  return (Array.isArray(value) ? value : [value]) as T[];
}

const sortedHex = (values: Buffer[]) => values.map((value) => value.toString('hex')).sort();

/** The entry as `client` may see it: undefined when it may not see the entry at all. */
async function readEntry(client: Client, dn: string, attributes: string[]): Promise<Entry | undefined> {
  try {
    const { searchEntries } = await client.search(dn, {
      scope: 'base',
      attributes,
      explicitBufferAttributes: ROAMING,
    });
    return searchEntries[0];
  } catch (error) {
    // slapd answers noSuchObject, not insufficientAccess, for an entry one may not see (no disclosure).
    if ((error as Error).name === 'NoSuchObjectError') return undefined;
    throw error;
  }
}

async function readRoaming(client: Client, dn: string) {
  const entry = await readEntry(client, dn, ROAMING);
  if (!entry) return undefined;
  return {
    stamp: valuesOf<Buffer>(entry, STAMP),
    masterKeys: valuesOf<Buffer>(entry, MASTER_KEYS),
    credentials: valuesOf<Buffer>(entry, CREDENTIALS),
  };
}

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

const visibleEntry = async (client: Client, dn: string, attributes: string[]) =>
  present(await readEntry(client, dn, attributes), `${dn} to be visible`);
const visibleRoaming = async (client: Client, dn: string) =>
  present(await readRoaming(client, dn), `${dn} to be visible`);

describe.each(['slapd.conf', 'cn=config'] as const)(
  'the shipped schema and ACLs (%s form)',
  (configFormat) => {
    const slapd = useSlapd({
      configFormat,
      users: [
        user('alice'),
        user('bob', { roaming: true }),
        user('carol', { roaming: true }),
        user('dave', { roaming: true }),
        user('erin', { cn: 'Erin Example', mail: 'erin@credroam.test', posix: true }),
        user('frank', { roaming: true, ou: 'finance' }),
        user('grace'),
      ],
      groups: [{ cn: 'roaming-pilot', members: ['frank', 'erin'] }],
    });
    const dn = (uid: string) => slapd().user(uid).dn;

    describe('schema', () => {
      it('stores arbitrary binary values and adds and deletes them one value at a time', async () => {
        const everyByte = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
        const utf8Looking = Buffer.from('%3\\plain text that is valid UTF-8');
        const random = randomBytes(4096);
        await withLdap(slapd(), 'service', async (client) => {
          await client.modify(dn('dave'), add(CREDENTIALS, everyByte, utf8Looking, random));
          expect(sortedHex((await visibleRoaming(client, dn('dave'))).credentials)).toEqual(
            sortedHex([everyByte, utf8Looking, random]),
          );

          await client.modify(dn('dave'), remove(CREDENTIALS, utf8Looking));
          expect(sortedHex((await visibleRoaming(client, dn('dave'))).credentials)).toEqual(
            sortedHex([everyByte, random]),
          );
          await expect(client.modify(dn('dave'), add(CREDENTIALS, random))).rejects.toThrow(
            TypeOrValueExistsError,
          );
          await expect(client.modify(dn('dave'), remove(CREDENTIALS, utf8Looking))).rejects.toThrow(
            NoSuchAttributeError,
          );
        });
      });

      it('stores a real DER certificate byte for byte', async () => {
        const openssl = await OpensslWorkspace.create();
        try {
          const certificate = await openssl.selfSignedCertificate({
            algorithm: 'p-256',
            subject: '/CN=dave',
          });
          expect(certificate.thumbprint).toBe(
            createHash('sha1').update(certificate.certDer).digest('hex').toUpperCase(),
          );
          await withLdap(slapd(), 'service', async (client) => {
            await client.modify(dn('dave'), add(MASTER_KEYS, certificate.certDer));
            const { masterKeys } = await visibleRoaming(client, dn('dave'));
            expect(masterKeys.map((value) => value.equals(certificate.certDer))).toEqual([true]);
          });
        } finally {
          await openssl.dispose();
        }
      });

      it('keeps the stamp single-valued', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          await client.modify(dn('dave'), add(STAMP, randomBytes(16)));
          await expect(client.modify(dn('dave'), add(STAMP, randomBytes(16)))).rejects.toThrow(
            ConstraintViolationError,
          );
        });
      });

      it('refuses roaming attributes until credroamRoamingUser is on the entry, and takes both in one modify', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          await expect(client.modify(dn('erin'), add(STAMP, randomBytes(16)))).rejects.toThrow(
            ObjectClassViolationError,
          );
          await client.modify(dn('erin'), [
            addRoamingClass(),
            add(STAMP, randomBytes(16)),
            add(CREDENTIALS, 'x'),
          ]);
          const entry = await visibleEntry(client, dn('erin'), ['objectClass']);
          expect(valuesOf<string>(entry, 'objectClass')).toContain(ROAMING_CLASS);
        });
      });
    });

    describe('compare-and-swap of the stamp', () => {
      it('lets exactly one of two racing writers win; the loser fails as a whole with NoSuchAttributeError', async () => {
        const writers = [new Client({ url: slapd().url }), new Client({ url: slapd().url })];
        try {
          await Promise.all(writers.map((client) => client.bind(slapd().serviceDn, slapd().servicePassword)));
          let stamp = randomBytes(16);
          await present(writers[0], 'a writer').modify(dn('carol'), add(STAMP, stamp));
          for (let round = 0; round < 20; round++) {
            const attempts = writers.map((client) => ({
              client,
              stamp: randomBytes(16),
              token: randomBytes(64),
            }));
            const outcomes = await Promise.allSettled(
              attempts.map((attempt) =>
                attempt.client.modify(dn('carol'), [
                  remove(STAMP, stamp),
                  add(STAMP, attempt.stamp),
                  add(CREDENTIALS, attempt.token),
                ]),
              ),
            );
            const won = attempts.filter((_, index) => outcomes[index]?.status === 'fulfilled');
            const lost = attempts.filter((_, index) => outcomes[index]?.status === 'rejected');
            expect(won).toHaveLength(1);
            const reasons = outcomes.flatMap((outcome) =>
              outcome.status === 'rejected' ? [outcome.reason] : [],
            );
            expect(reasons).toEqual([expect.any(NoSuchAttributeError)]);

            const winner = present(won[0], 'a winner');
            const loser = present(lost[0], 'a loser');
            const state = await visibleRoaming(winner.client, dn('carol'));
            expect(sortedHex(state.stamp)).toEqual([winner.stamp.toString('hex')]);
            const tokens = sortedHex(state.credentials);
            expect(tokens).toContain(winner.token.toString('hex'));
            expect(tokens).not.toContain(loser.token.toString('hex'));
            stamp = winner.stamp;
          }
        } finally {
          await Promise.all(writers.map((client) => client.unbind()));
        }
      });
    });

    describe('a user (SELF)', () => {
      it('reads and writes her own roaming attributes, adding the class herself on the first write', async () => {
        const stamp = randomBytes(16);
        const token = randomBytes(200);
        await withLdap(slapd(), { uid: 'alice' }, async (client) => {
          await client.modify(dn('alice'), [addRoamingClass(), add(STAMP, stamp), add(CREDENTIALS, token)]);
          const mine = await visibleRoaming(client, dn('alice'));
          expect(sortedHex(mine.stamp)).toEqual([stamp.toString('hex')]);
          expect(sortedHex(mine.credentials)).toEqual([token.toString('hex')]);

          await client.modify(dn('alice'), [
            remove(STAMP, stamp),
            add(STAMP, randomBytes(16)),
            remove(CREDENTIALS, token),
          ]);
          expect((await visibleRoaming(client, dn('alice'))).credentials).toEqual([]);
        });
      });

      it("can neither see nor change another user's roaming attributes", async () => {
        const bobsStamp = randomBytes(16);
        // Text, so that it can also be asserted with an LDAP compare (ldapts compares strings only).
        const bobsToken = Buffer.from('bob-secret-token');
        await withLdap(slapd(), 'service', async (client) => {
          await client.modify(dn('bob'), [add(STAMP, bobsStamp), add(CREDENTIALS, bobsToken)]);
          expect(await client.compare(dn('bob'), CREDENTIALS, bobsToken.toString())).toBe(true);
        });
        await withLdap(slapd(), { uid: 'alice' }, async (client) => {
          expect(await readRoaming(client, dn('bob'))).toBeUndefined();
          // Not even as a yes/no oracle (the entry is hidden from searches by another rule; compare is not).
          await expect(client.compare(dn('bob'), CREDENTIALS, bobsToken.toString())).rejects.toThrow();
          await expect(client.modify(dn('bob'), add(CREDENTIALS, randomBytes(32)))).rejects.toThrow(
            InsufficientAccessError,
          );
          // Nor break bob's compare-and-swap by deleting or replacing his stamp or tokens.
          await expect(client.modify(dn('bob'), remove(STAMP, bobsStamp))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(client.modify(dn('bob'), remove(CREDENTIALS, bobsToken))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(
            client.modify(
              dn('bob'),
              new Change({ operation: 'replace', modification: new Attribute({ type: CREDENTIALS }) }),
            ),
          ).rejects.toThrow(InsufficientAccessError);
        });
        await withLdap(slapd(), 'service', async (client) => {
          const bobs = await visibleRoaming(client, dn('bob'));
          expect(sortedHex(bobs.stamp)).toEqual([bobsStamp.toString('hex')]);
          expect(sortedHex(bobs.credentials)).toEqual([bobsToken.toString('hex')]);
        });
      });

      it('cannot add any other object class (extensibleObject would allow any attribute) or edit her identity', async () => {
        await withLdap(slapd(), { uid: 'alice' }, async (client) => {
          await expect(client.modify(dn('alice'), add('objectClass', 'extensibleObject'))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(client.modify(dn('alice'), add('mail', 'alice@evil.test'))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(
            client.modify(
              dn('alice'),
              new Change({
                operation: 'replace',
                modification: new Attribute({ type: 'uid', values: ['bob'] }),
              }),
            ),
          ).rejects.toThrow(InsufficientAccessError);
        });
      });

      it('cannot read even her own password hash, but can change her password', async () => {
        await withLdap(slapd(), { uid: 'grace' }, async (client) => {
          const entry = await visibleEntry(client, dn('grace'), ['uid', 'userPassword']);
          expect(valuesOf(entry, 'uid')).toEqual(['grace']);
          expect(valuesOf(entry, 'userPassword')).toEqual([]);
          await client.modify(
            dn('grace'),
            new Change({
              operation: 'replace',
              modification: new Attribute({ type: 'userPassword', values: ['grace-new'] }),
            }),
          );
        });
        await withLdap(slapd(), { uid: 'grace', password: 'grace-new' }, async () => undefined);
        await expect(withLdap(slapd(), { uid: 'grace' }, async () => undefined)).rejects.toThrow(
          InvalidCredentialsError,
        );
      });
    });

    describe('the gateway service account', () => {
      it("reads and writes every user's roaming attributes", async () => {
        await withLdap(slapd(), 'service', async (client) => {
          const token = randomBytes(48);
          await client.modify(dn('frank'), [add(STAMP, randomBytes(16)), add(MASTER_KEYS, token)]);
          expect(sortedHex((await visibleRoaming(client, dn('frank'))).masterKeys)).toEqual([
            token.toString('hex'),
          ]);
          await client.modify(dn('frank'), remove(MASTER_KEYS, token));
          expect((await visibleRoaming(client, dn('frank'))).masterKeys).toEqual([]);
        });
      });

      it('finds a user by uid with stable id and group membership, and sees only the lookup attributes', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          const { searchEntries } = await client.search(slapd().peopleDn, {
            scope: 'sub',
            filter: '(&(objectClass=inetOrgPerson)(uid=erin))',
            attributes: ['*', '+', 'userPassword'],
          });
          expect(searchEntries.map((entry) => entry.dn)).toEqual([dn('erin')]);
          const erin = present(searchEntries[0], 'erin');
          expect(valuesOf(erin, 'entryUUID')[0]).toMatch(
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
          );
          expect(valuesOf(erin, 'memberOf')).toEqual([`cn=roaming-pilot,${slapd().groupsDn}`]);
          expect(valuesOf(erin, 'userPassword')).toEqual([]);
          const visible = [...GATEWAY_VISIBLE, ...ROAMING].map((name) => name.toLowerCase());
          // ldapts lists every requested name ('*', '+', userPassword) with [] when nothing came back for it.
          const returned = Object.keys(erin).filter((name) => valuesOf(erin, name).length > 0);
          expect(returned.filter((name) => !visible.includes(name.toLowerCase()))).toEqual([]);
          expect(returned).toEqual(
            expect.arrayContaining(['dn', 'objectClass', 'uid', 'cn', 'mail', 'entryUUID']),
          );
        });
      });

      it('resolves group-scoped policy: members by memberOf, and the group entry itself', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          const group = `cn=roaming-pilot,${slapd().groupsDn}`;
          const { searchEntries } = await client.search(slapd().suffix, {
            filter: `(memberOf=${group})`,
            attributes: ['uid'],
          });
          expect(searchEntries.map((entry) => entry.dn).sort()).toEqual([dn('erin'), dn('frank')].sort());
          const groupEntry = await visibleEntry(client, group, ['member']);
          expect(valuesOf<string>(groupEntry, 'member').sort()).toEqual([dn('erin'), dn('frank')].sort());
        });
      });

      it('cannot read or search on userPassword', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          const alice = await visibleEntry(client, dn('alice'), ['uid', 'userPassword']);
          expect(valuesOf(alice, 'uid')).toEqual(['alice']);
          expect(valuesOf(alice, 'userPassword')).toEqual([]);
          const probe = await client.search(slapd().peopleDn, {
            filter: '(userPassword=*)',
            attributes: ['uid'],
          });
          expect(probe.searchEntries).toEqual([]);
        });
      });

      it('may add only the credroamRoamingUser class and change nothing else about a user', async () => {
        await withLdap(slapd(), 'service', async (client) => {
          await client.modify(dn('grace'), addRoamingClass());
          await expect(client.modify(dn('grace'), add('objectClass', 'extensibleObject'))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(client.modify(dn('grace'), add('mail', 'grace@credroam.test'))).rejects.toThrow(
            InsufficientAccessError,
          );
          await expect(
            client.modify(
              dn('grace'),
              new Change({
                operation: 'replace',
                modification: new Attribute({ type: 'userPassword', values: ['owned'] }),
              }),
            ),
          ).rejects.toThrow(InsufficientAccessError);
        });
      });
    });

    describe('the policy objects', () => {
      const reader = () => ({ dn: slapd().readerDn, password: slapd().readerPassword });
      const container = () => `cn=credroam-policy,${slapd().suffix}`;

      it('are written by the admin CLI account only, read by the gateway, and hidden from users', async () => {
        await withLdap(slapd(), reader(), async (client) => {
          await client.add(container(), {
            objectClass: ['top', 'credroamPolicy'],
            cn: 'credroam-policy',
            credroamPolicySetting: ['maxTokens=400'],
          });
          await client.add(`cn=pilot,${container()}`, {
            objectClass: ['top', 'credroamPolicy'],
            cn: 'pilot',
            credroamPolicyLinkedGroup: slapd().groups[0]!.dn,
            credroamPolicyPriority: '5',
            credroamPolicySetting: ['purgeOnLogoff=true'],
          });
          await client.modify(container(), [
            remove('credroamPolicySetting', 'maxTokens=400'),
            add('credroamPolicySetting', 'maxTokens=300'),
          ]);
          // The right to add below the suffix is for the policy container only.
          await expect(
            client.add(`cn=elsewhere,${slapd().suffix}`, {
              objectClass: ['top', 'credroamPolicy'],
              cn: 'elsewhere',
            }),
          ).rejects.toThrow(InsufficientAccessError);
        });
        await withLdap(slapd(), 'service', async (client) => {
          const { searchEntries } = await client.search(container(), {
            scope: 'sub',
            filter: '(objectClass=credroamPolicy)',
            attributes: ['credroamPolicySetting', 'credroamPolicyLinkedGroup', 'credroamPolicyPriority'],
          });
          expect(searchEntries.map((entry) => entry.credroamPolicySetting).sort()).toEqual([
            'maxTokens=300',
            'purgeOnLogoff=true',
          ]);
          await expect(
            client.modify(container(), add('credroamPolicySetting', 'enabled=false')),
          ).rejects.toThrow(InsufficientAccessError);
        });
        await withLdap(slapd(), { uid: 'frank' }, async (client) => {
          expect(await readEntry(client, container(), ['*'])).toBeUndefined();
          await expect(
            client.modify(container(), add('credroamPolicySetting', 'enabled=false')),
          ).rejects.toThrow();
        });
      });
    });

    describe('anonymous', () => {
      it('reads nothing: no entries, not even the root DSE', async () => {
        await withLdap(slapd(), 'anonymous', async (client) => {
          for (const base of [slapd().suffix, slapd().peopleDn, dn('bob')]) {
            expect(await readEntry(client, base, ['*'])).toBeUndefined();
          }
          const rootDse = await client.search('', { scope: 'base', attributes: ['*', '+'] });
          expect(rootDse.searchEntries).toEqual([]);
          await expect(client.modify(dn('bob'), add(CREDENTIALS, 'x'))).rejects.toThrow();
        });
      });

      it('may bind as a user with the right password only', async () => {
        await withLdap(slapd(), { uid: 'bob' }, async () => undefined);
        await withLdap(slapd(), 'service', async () => undefined);
        await expect(
          withLdap(slapd(), { uid: 'bob', password: 'wrong' }, async () => undefined),
        ).rejects.toThrow(InvalidCredentialsError);
        await expect(
          withLdap(slapd(), { dn: `uid=nobody,${slapd().peopleDn}`, password: 'x' }, async () => undefined),
        ).rejects.toThrow(InvalidCredentialsError);
      });
    });
  },
);

describe('the Active Directory emulation (TEST ONLY schema)', () => {
  const slapd = useSlapd({ dialect: 'active-directory', users: [user('alice', { roaming: true })] });

  it('stores DN-Binary strings, matches them exactly and deletes them by value', async () => {
    const alice = slapd().user('alice').dn;
    const dnBinary = (bytes: Buffer) =>
      `B:${bytes.length * 2}:${bytes.toString('hex').toUpperCase()}:${alice}`;
    const first = dnBinary(Buffer.from('2533', 'hex'));
    const second = dnBinary(randomBytes(40));
    const stamp = randomBytes(16);
    await withLdap(slapd(), 'service', async (client) => {
      await client.modify(alice, [add(STAMP, stamp), add(CREDENTIALS, first, second)]);
      const entry = await visibleEntry(client, alice, [CREDENTIALS]);
      expect(
        valuesOf<Buffer>(entry, CREDENTIALS)
          .map((value) => value.toString())
          .sort(),
      ).toEqual([first, second].sort());
      // caseExactMatch: the lower-case rendering of the same bytes is not the stored value.
      await expect(client.modify(alice, remove(CREDENTIALS, second.toLowerCase()))).rejects.toThrow(
        NoSuchAttributeError,
      );
      await client.modify(alice, [
        remove(STAMP, stamp),
        add(STAMP, randomBytes(16)),
        remove(CREDENTIALS, second),
      ]);
      const after = await visibleEntry(client, alice, [CREDENTIALS]);
      expect(valuesOf<Buffer>(after, CREDENTIALS).map((value) => value.toString())).toEqual([first]);
    });
  });
});

describe('TLS', () => {
  const slapd = useSlapd({ tls: true, users: [user('alice')] });
  const whoAmI = (client: Client) => client.exop('1.3.6.1.4.1.4203.1.11.3');
  const ldapsUrl = () => present(slapd().ldapsUrl, 'an ldaps URL');
  const ca = () => [present(slapd().caPem, 'the CA certificate')];

  it('serves ldaps:// with a certificate from the generated CA', async () => {
    const result = await withLdap(slapd(), { uid: 'alice' }, whoAmI, {
      url: ldapsUrl(),
      tlsOptions: { ca: ca() },
    });
    expect(result.value).toBe(`dn:${slapd().user('alice').dn}`);
  });

  it('refuses ldaps:// when the CA is not trusted', async () => {
    await expect(withLdap(slapd(), 'anonymous', whoAmI, { url: ldapsUrl() })).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it('upgrades the plain port with StartTLS', async () => {
    const client = new Client({ url: slapd().url });
    try {
      await client.startTLS({ ca: ca(), servername: 'localhost' });
      await client.bind(slapd().user('alice').dn, slapd().user('alice').password);
      expect((await whoAmI(client)).value).toBe(`dn:${slapd().user('alice').dn}`);
    } finally {
      await client.unbind();
    }
  });
});

describe('the throwaway slapd', () => {
  let slapd: SlapdHandle | undefined;
  afterEach(async () => {
    await slapd?.stop();
  });

  // How fast it starts is printed by `npm start` (slapd ready … ms), not asserted: a loaded CI machine varies.
  it('starts and removes everything on stop', async () => {
    slapd = await startSlapd({ users: [user('alice')] });
    const { dir, pid } = slapd;
    await slapd.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(present(pid, 'a pid'), 0)).toThrow();
  });

  it('keeps port and data across a crash and a restart, and refuses connections while down', async () => {
    slapd = await startSlapd({ users: [user('alice', { roaming: true })] });
    const url = slapd.url;
    const token = randomBytes(32);
    const alice = slapd.user('alice').dn;
    await withLdap(slapd, 'service', (client) => client.modify(alice, add(CREDENTIALS, token)));

    await slapd.stopProcess({ signal: 'SIGKILL' });
    expect(slapd.running).toBe(false);
    await expect(withLdap(slapd, 'service', async () => undefined)).rejects.toThrow(/ECONNREFUSED|connect/);

    await slapd.startProcess();
    await slapd.restart();
    expect(slapd.url).toBe(url);
    const state = await withLdap(slapd, 'service', (client) => visibleRoaming(client, alice));
    expect(sortedHex(state.credentials)).toEqual([token.toString('hex')]);
  });

  it('runs in the foreground from the CLI with the demo users and stops cleanly on SIGTERM', async () => {
    const cli = await startServiceProcess({
      name: 'slapd-cli',
      script: 'scripts/slapd.cjs',
      args: ['start', '--port', '0', '--demo', '--json'],
      ready: { line: /^\{.*"url"/m },
    });
    const json = present(
      cli
        .output()
        .split('\n')
        .find((line) => line.startsWith('{')),
      'the JSON line',
    );
    const details = JSON.parse(json) as {
      url: string;
      dir: string;
      users: { uid: string; dn: string; password: string }[];
    };
    expect(details.users.map((entry) => `${entry.uid}/${entry.password}`)).toEqual([
      'alice/alice-pass',
      'bob/bob-pass',
      'carol/carol-pass',
    ]);
    const client = new Client({ url: details.url });
    try {
      await client.bind(present(details.users[0], 'alice').dn, 'alice-pass');
    } finally {
      await client.unbind();
    }
    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(details.dir)).toBe(false);
  });
});
