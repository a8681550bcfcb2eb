// Parsing parity with OpenSSL over every certificate Debian ships (/etc/ssl/certs, ca-certificates): each parses,
// and its thumbprint, serial number, validity and subject equal what `openssl x509` prints.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { unwrap } from '@credroam/roaming';
import { decodePem, parseCertificate, type ParsedCertificate } from '@credroam/sealing';
import { createEphemeralKeyStore } from '../../../apps/token-crypto/src/keys/ephemeral-key-store';
import { InspectService } from '../../../apps/token-crypto/src/inspect/inspect.service';
import { openssl } from '../../helpers/openssl';

// openssl subprocesses and thousands of envelopes: generous under a loaded CI machine.
jest.setTimeout(30_000);

const CERTS_DIR = '/etc/ssl/certs';
const BUNDLE = join(CERTS_DIR, 'ca-certificates.crt');

/** Every distinct certificate file (the hash-named entries are links to the same files). */
function certificateFiles(): string[] {
  const files = readdirSync(CERTS_DIR)
    .filter((name) => name.endsWith('.pem') || name.endsWith('.crt'))
    .map((name) => realpathSync(join(CERTS_DIR, name)))
    .filter((path) => path !== realpathSync(BUNDLE));
  return [...new Set(files)].sort();
}

interface OpensslView {
  thumbprint: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
}

async function opensslView(file: string): Promise<OpensslView> {
  // One invocation per file; RFC 2253 names with UTF-8 left unescaped, the form credroam prints.
  const text = (
    await openssl([
      'x509',
      '-in',
      file,
      '-noout',
      '-fingerprint',
      '-sha1',
      '-serial',
      '-startdate',
      '-enddate',
      '-subject',
      '-nameopt',
      'RFC2253,-esc_msb',
    ])
  ).toString('utf8');
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'mi').exec(text)?.[1] ?? '';
  return {
    thumbprint: field('SHA1 Fingerprint').replace(/:/g, ''),
    serial: field('serial'),
    notBefore: new Date(field('notBefore')),
    notAfter: new Date(field('notAfter')),
    subject: field('subject'),
  };
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

// OpenSSL's short names where they differ from RFC 4514 / Windows (credroam prints E and SERIALNUMBER).
const OPENSSL_NAMES: Record<string, string> = {
  E: 'emailAddress',
  SERIALNUMBER: 'serialNumber',
  G: 'GN',
  T: 'title',
};
const asOpenssl = (subject: string) =>
  subject.replace(
    /(^|,|\+)([A-Z]+)=/g,
    (match, sep: string, name: string) => `${sep}${OPENSSL_NAMES[name] ?? name}=`,
  );

describe('the Debian CA bundle', () => {
  const files = certificateFiles();

  it('has certificates to compare', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('parses every certificate exactly as openssl x509 reads it', async () => {
    const views = await inBatches(files, 8, opensslView);
    const mismatches: string[] = [];
    files.forEach((file, index) => {
      const blocks = unwrap(decodePem(readFileSync(file)));
      const certificate: ParsedCertificate = unwrap(parseCertificate(blocks[0]!.der));
      const view = views[index]!;
      const ours = {
        thumbprint: certificate.thumbprint,
        serial: certificate.serialNumber,
        notBefore: certificate.notBefore.toISOString(),
        notAfter: certificate.notAfter.toISOString(),
        subject: asOpenssl(certificate.subject),
      };
      const theirs = {
        ...view,
        notBefore: view.notBefore.toISOString(),
        notAfter: view.notAfter.toISOString(),
      };
      if (JSON.stringify(ours) !== JSON.stringify(theirs))
        mismatches.push(`${file}\n  ours   ${JSON.stringify(ours)}\n  theirs ${JSON.stringify(theirs)}`);
    });
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('reads the concatenated bundle: one certificate per file, and every one describes within the contract', () => {
    const bundle = unwrap(decodePem(readFileSync(BUNDLE)));
    const fromBundle = new Set(bundle.map((block) => unwrap(parseCertificate(block.der)).thumbprint));
    const fromFiles = new Set(
      files.map((file) => unwrap(parseCertificate(unwrap(decodePem(readFileSync(file)))[0]!.der)).thumbprint),
    );
    expect(fromBundle).toEqual(fromFiles);
    const inspect = new InspectService(createEphemeralKeyStore());
    for (const block of bundle) {
      const described = inspect.inspect({ data: block.der.toString('base64'), format: 'der' });
      expect(described.ok && described.value.kind).toBe('certificate');
    }
  });
});
