// The hostile-input corpus of the agent's local store (test/corpus/agent-store/*.jsonl): a logged-in store with two
// tokens and a state file, copied for each case and then damaged as the case says (files rewritten, symlinked out
// of the store, chowned to nobody, opened to others, the store on a nearly full or read-only tmpfs); then one
// command line of the agent's CLI (runCli, in this process: a few milliseconds where a process costs a second; one
// case per kind also runs bin/credroam-agent). Each case gets its documented code on stderr and exit code, or the
// documented report (a corrupt state file, a skipped token file); the store is unchanged afterwards and no temp
// file is left. Runs as root (chown, mount); every tmpfs is unmounted in teardown.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { encodePem } from '@credroam/sealing';
import { runCli } from '../../../apps/agent/src/cli/cli';
import { exitCodeForCode } from '../../../apps/agent/src/cli/exit-codes';
import { isTempName } from '../../../apps/agent/src/store/atomic-file.writer';
import { tokenFileName } from '../../../apps/agent/src/store/token-file-name';
import { agentFixture } from '../../../apps/agent/src/testing/agent-fixtures';
import { expectSchema, loadCorpus } from '../../corpus/corpus';
import { agent } from '../../support/agent-cli';

/** What a case does to its copy of the store. Paths are relative to the store; "$TOKEN_A"/"$TOKEN_B" name the two
 * token files, "$OUTSIDE" a directory beside the store (the user's, but not the store). */
const stepSchema = z.union([
  z.object({ write: z.string(), text: z.string() }).strict(),
  z.object({ write: z.string(), hex: z.string().regex(/^([0-9a-f]{2})*$/) }).strict(),
  z.object({ write: z.string(), json: z.unknown() }).strict(),
  // `count` copies of `text` (an input too big to write out).
  z.object({ write: z.string(), repeat: z.string(), count: z.number().int().min(1) }).strict(),
  z.object({ symlink: z.string(), to: z.string() }).strict(),
  z.object({ chown: z.string(), user: z.literal('nobody') }).strict(),
  z.object({ chmod: z.string(), mode: z.string().regex(/^0[0-7]{3}$/) }).strict(),
  z.object({ remove: z.string() }).strict(),
  z.object({ copy: z.string(), to: z.string() }).strict(),
  z.object({ mkdir: z.string() }).strict(),
  // The store on a 64 KiB tmpfs with `free` bytes left, or mounted read-only.
  z.object({ tmpfs: z.object({ free: z.number().int().min(0) }).strict() }).strict(),
  z.object({ tmpfs: z.object({ readOnly: z.literal(true) }).strict() }).strict(),
]);

const caseSchema = z
  .object({
    name: z.string().min(1),
    setup: z.array(stepSchema).min(1),
    /** The command line ("$CERT": a certificate file to import, outside the store). */
    run: z.array(z.string()).min(1),
    /** Also run bin/credroam-agent as a process, which must answer the same. */
    process: z.boolean().optional(),
    expect: z.union([
      expectSchema,
      // `status --json` reports the state file corrupt (the next sync self-heals with a full resync).
      z.object({ stateFile: z.literal('corrupt') }).strict(),
      // `list --json` lists the good tokens and names `skipped` unusable token files on stderr.
      z.object({ listed: z.number().int().min(0), skipped: z.number().int().min(1) }).strict(),
    ]),
  })
  .strict();
type Step = z.output<typeof stepSchema>;

const CASES = loadCorpus('agent-store', caseSchema);
const NOBODY = 65534;
const TMPFS_BYTES = 64 * 1024;

/** Every entry under `root`, as lstat sees it, with each file's content hash and each link's target. */
function snapshot(root: string): Record<string, string> {
  const seen: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      const what = stats.isSymbolicLink()
        ? `link ${readlinkSync(path)}`
        : stats.isDirectory()
          ? 'dir'
          : `file ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      seen[path.slice(root.length)] = `${what} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}`;
      if (stats.isDirectory()) walk(path);
    }
  };
  walk(root);
  return seen;
}

describe('the hostile-input corpus against the agent store', () => {
  let template: string;
  let work: string;
  let certificateFile: string;
  const tokenFiles: Record<'$TOKEN_A' | '$TOKEN_B', string> = { $TOKEN_A: '', $TOKEN_B: '' };
  const mounts: string[] = [];

  beforeAll(() => {
    const fixture = agentFixture();
    const now = Date.now();
    fixture.store.session.write({
      ...fixture.session,
      expiresAt: new Date(now + 3_600_000).toISOString(),
      renewableUntil: new Date(now + 36_000_000).toISOString(),
    });
    const tokens = [
      fixture.token('certificate', 'A'.repeat(40), Buffer.from('certificate a')),
      fixture.token('certificate', 'B'.repeat(40), Buffer.from('certificate b')),
    ];
    for (const token of tokens) fixture.store.tokens.put(token);
    fixture.store.records.markImported(tokens.map((token) => token.meta));
    fixture.store.state.write({ format: 1, machine: 'ws-a', base: null, lastStamp: null, lastSync: null });
    template = fixture.store.layout.root;
    tokenFiles.$TOKEN_A = join('tokens', 'certificate', tokenFileName(tokens[0]!.meta));
    tokenFiles.$TOKEN_B = join('tokens', 'certificate', tokenFileName(tokens[1]!.meta));
    work = mkdtempSync(join(tmpdir(), 'credroam-corpus-store-'));
    certificateFile = join(work, 'import.pem');
    writeFileSync(certificateFile, encodePem('CERTIFICATE', fixture.transport.certificate.der));
  });

  afterAll(() => {
    for (const mount of mounts.splice(0)) execFileSync('umount', [mount]);
    if (work) rmSync(work, { recursive: true, force: true });
    if (template) rmSync(join(template, '..'), { recursive: true, force: true });
  });

  const resolve = (text: string, store: string, outside: string) =>
    (Object.entries(tokenFiles) as [string, string][])
      .reduce((done, [name, file]) => done.replaceAll(name, file), text)
      .replaceAll('$OUTSIDE', outside)
      .replaceAll('$STORE', store);

  /** The store of one case: the template copied, on a tmpfs when the case asks for one. */
  const prepare = (caseDir: string, steps: Step[]): string => {
    const store = join(caseDir, 'store');
    const outside = join(caseDir, 'outside');
    mkdirSync(outside, { mode: 0o700 });
    writeFileSync(join(outside, 'elsewhere.json'), '{"format":1}', { mode: 0o600 });
    const tmpfs = steps.flatMap((step) => ('tmpfs' in step ? [step.tmpfs] : []))[0];
    if (tmpfs) {
      mkdirSync(store, { mode: 0o700 });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'tmpfs', store]);
      mounts.push(store);
    }
    cpSync(template, store, { recursive: true, verbatimSymlinks: true });
    const at = (path: string) => join(store, resolve(path, store, outside));
    for (const step of steps) {
      if ('write' in step) {
        const bytes =
          'text' in step
            ? Buffer.from(step.text, 'utf8')
            : 'hex' in step
              ? Buffer.from(step.hex, 'hex')
              : 'repeat' in step
                ? Buffer.from(step.repeat.repeat(step.count), 'utf8')
                : Buffer.from(resolve(JSON.stringify(step.json), store, outside), 'utf8');
        writeFileSync(at(step.write), bytes, { mode: 0o600 });
      } else if ('symlink' in step) {
        rmSync(at(step.symlink), { recursive: true, force: true });
        symlinkSync(resolve(step.to, store, outside), at(step.symlink));
      } else if ('chown' in step) chownSync(at(step.chown), NOBODY, NOBODY);
      else if ('chmod' in step) chmodSync(at(step.chmod), Number.parseInt(step.mode, 8));
      else if ('remove' in step) rmSync(at(step.remove), { recursive: true, force: true });
      else if ('copy' in step) copyFileSync(at(step.copy), at(step.to));
      else if ('mkdir' in step) mkdirSync(at(step.mkdir), { mode: 0o700 });
    }
    if (tmpfs && 'free' in tmpfs) {
      // What is left of the tmpfs, less `free`, taken by a file beside the store's own.
      const { bavail, bsize } = statfsSync(store);
      const fill = Math.max(0, bavail * bsize - tmpfs.free);
      writeFileSync(join(store, 'filler'), Buffer.alloc(fill));
    }
    if (tmpfs && 'readOnly' in tmpfs) execFileSync('mount', ['-o', 'remount,ro', store]);
    return store;
  };

  const cli = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      io: {
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text),
        readStdin: () => Promise.resolve(''),
      },
      env: { CREDROAM_LOG_LEVEL: 'silent' },
      now: () => Date.now(),
    });
    return { code, stdout, stderr };
  };

  it.each(CASES.map((entry) => [entry.name, entry.value] as const))(
    '%s',
    async (name, { setup, run, process: alsoProcess, expect: want }) => {
      const caseDir = join(work, createHash('sha256').update(name).digest('hex').slice(0, 16));
      mkdirSync(caseDir, { mode: 0o700 });
      const store = prepare(caseDir, setup);
      const argv = [...run.map((arg) => arg.replaceAll('$CERT', certificateFile)), '--store', store];
      const before = snapshot(caseDir);
      try {
        const runs: { code: number; stdout: string; stderr: string }[] = [await cli(argv)];
        if (alsoProcess) runs.push(await agent(argv, { env: { CREDROAM_LOG_LEVEL: 'silent' } }));
        for (const answer of runs) {
          if ('code' in want) {
            expect({ exit: answer.code, stderr: answer.stderr }).toEqual({
              exit: exitCodeForCode(want.code),
              stderr: expect.stringContaining(`[${want.code}]`) as string,
            });
            // One line, never a stack trace.
            expect(answer.stderr.trim().split('\n')).toHaveLength(1);
          } else if ('stateFile' in want) {
            expect(answer.code).toBe(0);
            expect((JSON.parse(answer.stdout) as { stateFile: string }).stateFile).toBe(want.stateFile);
          } else {
            expect(answer.code).toBe(0);
            expect(JSON.parse(answer.stdout)).toHaveLength(want.listed);
            expect(answer.stderr.match(/^skipped unusable token file /gm)).toHaveLength(want.skipped);
          }
        }
        // Nothing half-written, nothing changed: every file, link, mode and owner as before; no temp file.
        expect(snapshot(caseDir)).toEqual(before);
        expect(Object.keys(snapshot(caseDir)).filter((path) => isTempName(path.split('/').pop()!))).toEqual(
          [],
        );
      } finally {
        const mounted = mounts.indexOf(store);
        if (mounted >= 0) {
          execFileSync('umount', [store]);
          mounts.splice(mounted, 1);
        }
        rmSync(caseDir, { recursive: true, force: true });
      }
    },
  );
});
