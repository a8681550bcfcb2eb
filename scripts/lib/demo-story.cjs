'use strict';
/* global fetch */
// The story `npm run demo` acts out (scripts/demo.mjs): alice on two simulated workstations, each a store of the
// real agent CLI (bin/credroam-agent) in a temporary directory, against a running stack. Each step says what
// happened in plain words and what to look for on the audit dashboard, and throws when something did not happen as
// the story says; the caller names the failed step.
const { execFile } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { URLSearchParams } = require('node:url');
const { Attribute, Change, Client } = require('ldapts');
const { requireFromDist } = require('./run-service.cjs');

const root = join(__dirname, '..', '..');
const AGENT = join(root, 'bin', 'credroam-agent');
const ADMIN = join(root, 'bin', 'credroam');
const USER = 'alice';
const PLANTED_ID = '..\\..\\evil';
const CREDENTIALS_ATTRIBUTE = 'msPKIAccountCredentials';

/** The story's steps, in order: a name for the failure message and the line the tests look for, and a title. */
const STEPS = [
  { name: 'logon', title: 'alice logs on at two workstations' },
  { name: 'import', title: 'ws-a imports a certificate and its key; alice saves a password there' },
  { name: 'roam', title: 'ws-b syncs and has them, byte for byte' },
  { name: 'conflict', title: 'a saved password edited on both while ws-b is offline' },
  { name: 'delete', title: 'a deletion on ws-a reaches ws-b as a tombstone' },
  { name: 'planted', title: "someone plants a value in alice's directory entry" },
  { name: 'audit', title: 'what audit recorded' },
];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command, args, { stdin = '', env = {} } = {}) {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [command, ...args],
      { cwd: root, env: { ...process.env, CREDROAM_STORE: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin.end(stdin);
  });
}

function openssl(args) {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr.toString().trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Runs the story against `stack`: { logonUrl, ingressUrl (or null), auditUrl, auditToken, ldap: { url, suffix,
 * adminDn, adminPassword, readerDn, readerPassword }, attached (a stack the demo did not start, whose policy is
 * checked and which is left tidy) }, in `dir` (the workstations' stores and the generated files). `say(text)`
 * prints a narration line, `pause()` waits the pace, `onStep(step)` hears of each step as it begins. Returns the
 * lines of the summary.
 */
async function actOutStory({ stack, dir, say, pause, onStep }) {
  const startedAt = new Date(Date.now() - 1000).toISOString();
  // A name of this run's own: a stack the demo attached to still holds the tombstone of the previous run's.
  const target = `TERMSRV/fileserver-${randomBytes(2).toString('hex')}.example.com`;
  const store = (workstation) => join(dir, workstation);
  const agent = async (workstation, args, stdin) => {
    const result = await run(AGENT, ['--store', store(workstation), ...args], { stdin });
    if (result.code !== 0) {
      const why = result.stderr.trim() || result.stdout.trim() || 'no output';
      throw new Error(`credroam-agent ${args[0]} on ${workstation} exited ${result.code}: ${why}`);
    }
    return result.stdout;
  };
  const agentJson = async (workstation, args, stdin) => JSON.parse(await agent(workstation, args, stdin));
  const sync = (workstation) => agentJson(workstation, ['sync', '--json']);
  const list = (workstation) => agentJson(workstation, ['list', '--json']);
  const find = (tokens, type, id) => tokens.find((token) => token.type === type && token.id === id);
  const setCredential = (workstation, secret) =>
    agentJson(
      workstation,
      ['credential', 'set', target, '--secret-stdin', '--username', USER, '--json'],
      `${secret}\n`,
    );
  const dashboard = (text) => say(`   dashboard: ${text}`);
  const summary = [];
  const context = {};

  const steps = {
    async logon() {
      const servers = { 'ws-a': stack.logonUrl, 'ws-b': stack.ingressUrl ?? stack.logonUrl };
      await Promise.all(
        Object.entries(servers).map(([workstation, server]) =>
          agent(
            workstation,
            ['login', '--server', server, '--user', USER, '--password-stdin', '--machine', workstation],
            `${USER}-pass\n`,
          ),
        ),
      );
      for (const [workstation, server] of Object.entries(servers)) {
        const how = server.startsWith('amqp')
          ? 'through the broker (the AMQP ingress)'
          : `over HTTP (${server})`;
        say(`   alice logged on at ${workstation} ${how}: a session, and a device key of its own.`);
      }
      if (stack.attached) {
        const { policy } = await agentJson('ws-a', ['status', '--json']);
        if (policy?.roamStoredCredentials !== true) {
          throw new Error(
            "the running stack's policy does not roam stored credentials (roamStoredCredentials), which the " +
              'conflict step needs: stop it and run "npm run demo", which starts a stack with a policy that does',
          );
        }
      }
      say('   Both stores are empty; nothing roams yet.');
      dashboard('the live feed shows session.opened for ws-a and ws-b (no sync yet).');
    },

    async import() {
      const keyFile = join(dir, 'alice-key.pem');
      const certFile = join(dir, 'alice-cert.pem');
      const subject = '/CN=alice (credroam demo)';
      // One command: a P-256 key (unencrypted PKCS#8) and a self-signed certificate for it.
      const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc', '-keyout', keyFile];
      await openssl(['req', '-x509', ...newKey, '-out', certFile, '-subj', subject, '-days', '30']);
      const der = await openssl(['x509', '-in', certFile, '-outform', 'DER']);
      const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
      // One PEM file with both blocks, as many tools hand them out; the agent links the key to its certificate.
      const bundle = join(dir, 'alice.pem');
      writeFileSync(bundle, Buffer.concat([readFileSync(certFile), readFileSync(keyFile)]), { mode: 0o600 });
      say(
        `   openssl made a P-256 key and a self-signed certificate "${subject.slice(1)}", thumbprint ${thumbprint}.`,
      );
      await agent('ws-a', ['import', bundle]);
      say('   ws-a imported both into its store.');
      await setCredential('ws-a', `first ${randomBytes(4).toString('hex')}`);
      say(`   alice also saved a password for ${target} on ws-a (a stored credential).`);
      const result = await sync('ws-a');
      if (result.rejections.length > 0)
        throw new Error(`ws-a's sync refused ${JSON.stringify(result.rejections)}`);
      if (result.uploaded !== 3) throw new Error(`ws-a's sync sent ${result.uploaded} tokens, not 3`);
      say(
        "   ws-a synced: the three are now sealed in alice's directory entry (only her workstations can open them).",
      );
      dashboard(
        '"Syncs completed" goes up; the live feed shows sync.completed and three token.uploaded for ws-a.',
      );
      Object.assign(context, { der, thumbprint });
    },

    async roam() {
      const result = await sync('ws-b');
      const exported = join(dir, 'from-ws-b.der');
      const [onA, onB] = await Promise.all([
        list('ws-a'),
        list('ws-b'),
        agent('ws-b', ['export', context.thumbprint, '--der', exported]),
      ]);
      say(
        `   ws-b synced (${result.downloaded} downloaded) and now holds: ${onB.map((token) => token.type).join(', ')}.`,
      );
      const fromB = readFileSync(exported);
      if (!fromB.equals(context.der))
        throw new Error('the certificate on ws-b differs from the one imported on ws-a');
      say(
        `   certificate on ws-b: byte-identical to the one imported on ws-a (SHA-256 ${sha256(fromB).slice(0, 16)}…).`,
      );
      for (const type of ['private-key', 'stored-credential']) {
        const mine = onA.find((token) => token.type === type);
        const theirs = mine && find(onB, type, mine.id);
        if (!mine || !theirs || mine.hash !== theirs.hash || mine.size !== theirs.size)
          throw new Error(`the ${type} on ws-b is missing or differs from the one on ws-a`);
        if (type === 'private-key') context.keyId = mine.id;
        say(`   ${type} on ws-b: the same content as on ws-a (same keyed hash, ${theirs.size} bytes).`);
      }
      dashboard('three token.downloaded for ws-b; under "User", search alice: her tokens and both machines.');
    },

    async conflict() {
      say('   ws-b goes offline (it will not sync for a while).');
      const onB = await setCredential('ws-b', `edited on ws-b ${randomBytes(4).toString('hex')}`);
      say(
        `   Offline, alice changes the saved password on ws-b at ${new Date(onB.modifiedAt).toISOString()}.`,
      );
      // The later edit wins a true conflict, so ws-a's edit must come after ws-b's by the clock, not by a guess.
      while (Date.now() <= onB.modifiedAt) await delay(5);
      const onA = await setCredential('ws-a', `edited on ws-a ${randomBytes(4).toString('hex')}`);
      await sync('ws-a');
      say(`   Later she changes it again on ws-a, at ${new Date(onA.modifiedAt).toISOString()}; ws-a syncs.`);
      const back = await sync('ws-b');
      const conflict = back.conflicts.find((item) => item.type === 'stored-credential' && item.id === target);
      if (!conflict) throw new Error(`ws-b's sync reported no conflict on ${target}`);
      if (conflict.winner !== 'directory' || back.downloaded !== 1)
        throw new Error(`the newer edit (ws-a's) did not win: ${JSON.stringify(conflict)}`);
      say(
        `   ws-b comes back online and syncs: a conflict (${conflict.kind}), the ${conflict.winner} copy kept.`,
      );
      say(
        "   The rule: both sides changed it since their last sync, so the newer edit wins (ws-a's); ws-b took it.",
      );
      say('   "credroam-agent status" on ws-b:');
      for (const line of tokenBlock(await agent('ws-b', ['status']), target)) say(`     ${line}`);
      dashboard(
        '"Conflicts" goes up by one; the feed shows token.conflict (code 501); "User" (alice) lists it.',
      );
    },

    async delete() {
      await agent('ws-a', ['delete', 'certificate', context.thumbprint]);
      await agent('ws-a', ['delete', 'private-key', context.keyId]);
      await sync('ws-a');
      say(
        '   alice deleted the certificate and its key on ws-a; ws-a synced: the directory keeps a tombstone for each',
      );
      say(
        '   (no content, just "deleted at"), so that other machines delete their copy instead of bringing it back.',
      );
      const result = await sync('ws-b');
      if (result.deleted !== 2) throw new Error(`ws-b's sync deleted ${result.deleted} tokens, not 2`);
      say('   ws-b synced: the certificate and the key are gone there too; the saved password stays.');
      dashboard('the feed shows two token.tombstoned for ws-a; "User" (alice) counts them as tombstoned.');
    },

    async planted() {
      const ldap = stack.ldap;
      const dn = `uid=${USER},ou=people,${ldap.suffix}`;
      const planted = plantedValue();
      await withLdap(ldap.url, ldap.adminDn, ldap.adminPassword, (client) =>
        client.modify(dn, [
          new Change({
            operation: 'add',
            modification: new Attribute({ type: CREDENTIALS_ATTRIBUTE, values: [planted] }),
          }),
        ]),
      );
      say(
        `   Someone with the directory's admin password (${ldap.adminDn}) adds a value to alice's entry, framed`,
      );
      say(
        `   exactly as credroam frames tokens, whose identifier is a path: ${PLANTED_ID} (the CVE-2022-30170 trick:`,
      );
      say('   a client that used it as a file name would write outside its store).');
      try {
        const result = await sync('ws-b');
        const refused = result.rejections.filter((rejection) => rejection.code === 'UNSAFE_IDENTIFIER');
        if (refused.length === 0)
          throw new Error(`ws-b's sync did not refuse it: ${JSON.stringify(result.rejections)}`);
        const files = filesUnder(dir).filter((file) => /evil/.test(file));
        if (files.length > 0) throw new Error(`ws-b wrote ${files.join(', ')}`);
        say(
          `   ws-b synced: refused (${refused[0].code}, ${refused[0].displayId}); nothing was written outside its store.`,
        );
        const scan = await adminScan(ldap, dir);
        if (scan.code !== 1)
          throw new Error(`credroam scan exited ${scan.code}, not 1: ${scan.stderr.trim()}`);
        const findings = scan.stdout.split('\n').filter((text) => text.includes(`uid=${USER},`));
        if (findings.length === 0) throw new Error(`credroam scan found nothing on alice: ${scan.stdout}`);
        say('   An operator runs "credroam scan": exit code 1, and it names the value:');
        for (const finding of findings) say(`     ${finding.trim()}`);
      } finally {
        // Leave alice's entry as the next run expects it: the operator removes the planted value.
        await withLdap(ldap.url, ldap.adminDn, ldap.adminPassword, (client) =>
          client.modify(dn, [
            new Change({
              operation: 'delete',
              modification: new Attribute({ type: CREDENTIALS_ATTRIBUTE, values: [planted] }),
            }),
          ]),
        );
      }
      say('   The operator then removed the planted value from the entry.');
      dashboard('"Rejections" goes up; the feed shows token.rejected for ws-b (UNSAFE_IDENTIFIER).');
    },

    async audit() {
      const wanted = [
        'sync.completed',
        'token.uploaded',
        'token.downloaded',
        'token.conflict',
        'token.tombstoned',
        'token.rejected',
      ];
      const counts = await auditCounts(stack, startedAt, wanted);
      if (counts === null) {
        say('   audit refused the operator token dev-operator-token: not checked here.');
        return;
      }
      say(
        `   audit stored, for alice since the story began: ${wanted.map((type) => `${type} ${counts[type]}`).join(', ')}.`,
      );
      const missing = wanted.filter((type) => counts[type] === 0);
      if (missing.length > 0) throw new Error(`audit has no ${missing.join(', ')} for alice`);
      dashboard(
        `the same events, live; query them: curl -H 'Authorization: Bearer …' '${stack.auditUrl}/v1/events?user=alice'`,
      );
    },
  };

  for (const [index, step] of STEPS.entries()) {
    const label = `step ${index + 1}/${STEPS.length} ${step.name}`;
    say(`\n${label}: ${step.title}`);
    onStep?.(step);
    const began = performance.now();
    await steps[step.name]();
    say(`==> ${label}: done (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    summary.push(`${index + 1}. ${step.title}`);
    await pause();
  }
  if (stack.attached) {
    // The stack outlives the story: its directory should not greet the next run with this run's saved password.
    await agent('ws-a', ['delete', 'stored-credential', target]);
    await sync('ws-a');
    say('\nTidied up for the next run: ws-a deleted the saved password (alice keeps only tombstones).');
  }
  return summary;
}

/**
 * A value in credroam's own format (the codec of libs/roaming, from the build) for a private key whose identifier is
 * a path: what the gateway decodes as "unsafe" and reports, never hands to a workstation.
 */
function plantedValue() {
  const roaming = requireFromDist('libs/roaming/src/index.js');
  const unwrap = (result) => {
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };
  const sealed = randomBytes(64);
  const payload = unwrap(
    roaming.encodeCredroamPayload({
      flags: { archived: false, encryptionKey: false, smartCard: false },
      keyVersion: 1,
      hash: sha256(sealed),
      plaintextSize: sealed.length,
      linkedCertificate: undefined,
      sealed,
    }),
  );
  return unwrap(
    roaming.encodePlantedRoamingValue(
      {
        filetime: unwrap(roaming.msToFiletime(Date.now())),
        rawFlags: roaming.WINDOWS_VALUE_FLAGS.knownType,
        data: payload,
      },
      { typeDigit: roaming.typeDigitForTokenType('private-key'), identifier: PLANTED_ID },
    ),
  );
}

async function withLdap(url, dn, password, work) {
  const client = new Client({ url, timeout: 5000, connectTimeout: 3000 });
  try {
    await client.bind(dn, password);
    return await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** `credroam scan` as an operator runs it: bound as the admin CLI's read-only account, the password in a file. */
function adminScan(ldap, dir) {
  const passwordFile = join(dir, 'reader.password');
  writeFileSync(passwordFile, `${ldap.readerPassword}\n`, { mode: 0o600 });
  return run(ADMIN, ['scan'], {
    env: {
      CREDROAM_ADMIN_LDAP_URL: ldap.url,
      CREDROAM_ADMIN_LDAP_BIND_DN: ldap.readerDn,
      CREDROAM_ADMIN_LDAP_PASSWORD_FILE: passwordFile,
      CREDROAM_ADMIN_LDAP_BASE_DN: ldap.suffix,
      CREDROAM_ADMIN_LDAP_DIALECT: 'openldap',
    },
  });
}

/**
 * alice's events of each type since `from`, from audit's query API. Audit stores events as they come off the
 * broker, so this waits (up to 15 s) until every type has arrived. null when audit refuses the token.
 */
async function auditCounts(stack, from, types) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const counts = Object.fromEntries(types.map((type) => [type, 0]));
    let cursor = null;
    do {
      const query = new URLSearchParams({ user: USER, from, type: types.join(','), limit: '500' });
      if (cursor) query.set('cursor', cursor);
      const response = await fetch(`${stack.auditUrl}/v1/events?${query}`, {
        headers: { Authorization: `Bearer ${stack.auditToken}` },
      });
      if (response.status === 401 || response.status === 403) return null;
      if (!response.ok) throw new Error(`audit answered ${response.status} to /v1/events`);
      const page = await response.json();
      for (const event of page.events) counts[event.type] += 1;
      cursor = page.nextCursor ?? null;
    } while (cursor);
    if (types.every((type) => counts[type] > 0) || Date.now() > deadline) return counts;
    await delay(250);
  }
}

/** The lines `credroam-agent status` prints for one token: its header line and the indented ones below it. */
function tokenBlock(status, name) {
  const lines = status.split('\n');
  const start = lines.findIndex((line) => line.endsWith(` ${name}`));
  if (start < 0) return [];
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !line.startsWith('    '));
  return [lines[start], ...rest.slice(0, end < 0 ? rest.length : end)];
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true }).map((file) => join(dir, String(file)));
}

module.exports = { actOutStory, STEPS };
