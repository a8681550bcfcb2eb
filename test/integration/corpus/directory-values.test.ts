// The hostile-input corpus of values planted in the directory (test/corpus/directory-values/*.jsonl), against the
// real processes: directory-gateway (active-directory dialect: DN-Binary strings, on the slapd emulation),
// token-crypto and logon-events. Alice has one genuine certificate, uploaded at the start. Each case plants one value
// in her roaming attributes as the directory's administrator (a Windows framing with a field corrupted, a foreign
// token with a traversal identifier, a DN-Binary naming bob, an impossible stamp), then syncs a fresh machine:
// the value is reported (or the sync refused with the documented code), never downloaded, never deleted or changed,
// and the genuine certificate still roams. The planted value is removed again after each case.
import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { z } from 'zod';
import {
  AGENT_API_PATHS,
  encodeDnBinary,
  encodePlantedRoamingValue,
  msToFiletime,
  problemSchema,
  syncResponseSchema,
  unwrap,
  type CreateSessionResponse,
} from '@credroam/roaming';
import { expectSchema, loadCorpus } from '../../corpus/corpus';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { firstUseSync, startCorpusStack } from '../../support/corpus-fixtures';
import { agentUpload, deviceKey, http, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { cleanToken } from '../../support/planted-values';

/** The fields of the Windows framing (libs/roaming roaming-value.ts), at their offsets and widths. */
const FIELDS = {
  marker: [0, 1],
  typeDigit: [1, 1],
  separator: [2, 1],
  identifier: [3, 93],
  filetime: [96, 8],
  flags: [104, 2],
  providerSize: [106, 2],
  sha1: [108, 20],
  dataSize: [128, 4],
} as const;

const valueSchema = z
  .object({
    /** A Windows-framed value (any type digit and identifier, as a hostile writer frames it), or a credroam token. */
    from: z.enum(['windows', 'credroam']),
    typeDigit: z.string().length(1).optional(),
    identifier: z.string().optional(),
    /** Its time (ms UTC), for a Windows value. */
    modifiedAt: z.number().int().optional(),
    dataBytes: z.number().int().min(0).optional(),
    /** Fields overwritten after framing: an unsigned little-endian integer (as a decimal string), or bytes. */
    set: z
      .array(
        z
          .object({
            field: z.enum(Object.keys(FIELDS) as [keyof typeof FIELDS]),
            uint: z.string().regex(/^\d+$/).optional(),
            hex: z
              .string()
              .regex(/^([0-9a-f]{2})*$/)
              .optional(),
          })
          .strict(),
      )
      .optional(),
    truncate: z.number().int().min(0).optional(),
    append: z
      .string()
      .regex(/^([0-9a-f]{2})*$/)
      .optional(),
  })
  .strict();

const caseSchema = z
  .object({
    name: z.string().min(1),
    plant: z.union([
      // A value, as the directory's DN-Binary bound to `dn` (alice's own, unless bob's).
      z.object({ value: valueSchema, dn: z.enum(['own', 'bob']).default('own') }).strict(),
      // The attribute value exactly as written ("$VALUE": the hex of a clean Windows value; "$DN": alice's DN).
      z.object({ dnBinary: z.string() }).strict(),
      // msPKIRoamingTimeStamp replaced by these 16 (or not 16) bytes.
      z.object({ stamp: z.string().regex(/^([0-9a-f]{2})*$/) }).strict(),
    ]),
    expect: z.union([
      expectSchema,
      z
        .object({ reported: z.enum(['foreign', 'unsafe-identifier', 'undecodable', 'thumbprint-mismatch']) })
        .strict(),
    ]),
  })
  .strict();
type Plant = z.output<typeof caseSchema>['plant'];

const CASES = loadCorpus('directory-values', caseSchema);
const HOUR = 3_600_000;

describe('the hostile-input corpus of values planted in the directory', () => {
  const slapd = useSlapd({
    dialect: 'active-directory',
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  const device = deviceKey();
  let processes: ServiceProcess[] = [];
  let stack: LogonStack;
  let probe: BrokerProbe;
  let session: CreateSessionResponse;
  let genuineId: string;

  const aliceDn = () => slapd().user('alice').dn;

  /** Alice's roaming attributes as the directory holds them. */
  const rawState = () =>
    withLdap(slapd(), 'admin', async (client) => {
      const { searchEntries } = await client.search(aliceDn(), {
        scope: 'base',
        attributes: ['msPKIAccountCredentials', 'msPKIRoamingTimeStamp'],
        explicitBufferAttributes: ['msPKIRoamingTimeStamp'],
      });
      const entry = searchEntries[0]!;
      const values = entry.msPKIAccountCredentials ?? [];
      return {
        values: (Array.isArray(values) ? values : [values]).map(String).sort(),
        stamp: entry.msPKIRoamingTimeStamp as Buffer | Buffer[],
      };
    });

  const modify = (change: Change) =>
    withLdap(slapd(), 'admin', (client) => client.modify(aliceDn(), [change]));

  const windowsBytes = (value: z.output<typeof valueSchema>): Buffer => {
    if (value.from === 'credroam') return cleanToken(randomBytes(8).toString('hex'), Date.now() - HOUR);
    return unwrap(
      encodePlantedRoamingValue(
        {
          filetime: unwrap(msToFiletime(value.modifiedAt ?? Date.now() - HOUR)),
          rawFlags: 0x10,
          data: randomBytes(value.dataBytes ?? 48),
        },
        { typeDigit: value.typeDigit ?? '9', identifier: value.identifier ?? 'container-0' },
      ),
    );
  };

  const planted = (value: z.output<typeof valueSchema>): Buffer => {
    let bytes = windowsBytes(value);
    for (const { field, uint, hex } of value.set ?? []) {
      const [offset, width] = FIELDS[field];
      const replacement = Buffer.alloc(width);
      if (hex !== undefined) Buffer.from(hex, 'hex').copy(replacement);
      else {
        let rest = BigInt(uint ?? '0');
        for (let index = 0; index < width; index += 1) {
          replacement[index] = Number(rest & 0xffn);
          rest >>= 8n;
        }
      }
      replacement.copy(bytes, offset);
    }
    if (value.truncate !== undefined) bytes = bytes.subarray(0, value.truncate);
    if (value.append !== undefined) bytes = Buffer.concat([bytes, Buffer.from(value.append, 'hex')]);
    return bytes;
  };

  /** The attribute value a case plants, and how to put the entry back afterwards. */
  const plant = async (what: Plant): Promise<() => Promise<void>> => {
    if ('stamp' in what) {
      const { stamp } = await rawState();
      await modify(
        new Change({
          operation: 'replace',
          modification: new Attribute({
            type: 'msPKIRoamingTimeStamp',
            values: [Buffer.from(what.stamp, 'hex')],
          }),
        }),
      );
      return () =>
        modify(
          new Change({
            operation: 'replace',
            modification: new Attribute({
              type: 'msPKIRoamingTimeStamp',
              values: Array.isArray(stamp) ? stamp : [stamp],
            }),
          }),
        );
    }
    const value =
      'dnBinary' in what
        ? what.dnBinary
            .replaceAll('$VALUE', windowsBytes({ from: 'windows' }).toString('hex').toUpperCase())
            .replaceAll('$DN', aliceDn())
        : encodeDnBinary(planted(what.value), what.dn === 'bob' ? slapd().user('bob').dn : aliceDn());
    const attribute = () => new Attribute({ type: 'msPKIAccountCredentials', values: [value] });
    await modify(new Change({ operation: 'add', modification: attribute() }));
    return () => modify(new Change({ operation: 'delete', modification: attribute() }));
  };

  /** A sync of a machine that holds nothing yet: what the directory would put on a new workstation. */
  const freshSync = () =>
    http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: firstUseSync(),
    });

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    ({ stack, processes } = await startCorpusStack(slapd(), namespace, 'corpus-values'));
    const logon = await http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
      body: {
        user: 'alice',
        password: 'alice-pass',
        machine: 'ws-01',
        devicePublicKey: device.publicKey,
        agentVersion: '0.1.0',
      },
    });
    session = logon.body as CreateSessionResponse;
    const { token, upload } = agentUpload(session, device, Date.now() - 1000);
    const uploaded = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: firstUseSync({ manifest: { tokens: [token], base: null }, uploads: [upload] }),
    });
    expect(syncResponseSchema.parse(uploaded.body)).toMatchObject({ status: 'synced', rejections: [] });
    genuineId = token.id;
  }, 120_000);

  afterAll(async () => {
    for (const service of processes) await service.stop();
    await probe?.cleanUp();
  }, 30_000);

  it.each(CASES.map((entry) => [entry.name, entry.value] as const))(
    '%s',
    async (_name, { plant: what, expect: want }) => {
      const clean = await rawState();
      const restore = await plant(what);
      try {
        const dirty = await rawState();
        const answer = await freshSync();
        if ('code' in want) {
          const problem = problemSchema.parse(answer.body);
          expect({ status: answer.status, code: problem.error.code }).toEqual({
            status: want.status ?? answer.status,
            code: want.code,
          });
        } else {
          expect(answer.status).toBe(200);
          const synced = syncResponseSchema.parse(answer.body);
          // The genuine certificate still roams; nothing else reaches the workstation, nothing is deleted there.
          expect(synced.downloads.map((download) => download.token.id)).toEqual([genuineId]);
          expect(synced.localDeletions).toEqual([]);
          expect(synced.reported.map((value) => value.reason)).toContain(want.reported);
        }
        // The planted value was neither changed nor removed, nor anything else written.
        expect(await rawState()).toEqual(dirty);
      } finally {
        await restore();
      }
      expect(await rawState()).toEqual(clean);
    },
  );

  it('kept the genuine certificate roaming after every case', async () => {
    const answer = syncResponseSchema.parse((await freshSync()).body);
    expect(answer.downloads.map((download) => download.token.id)).toEqual([genuineId]);
    expect(answer.reported).toEqual([]);
    console.log(`corpus directory-values: ${CASES.length} cases`);
  });
});
