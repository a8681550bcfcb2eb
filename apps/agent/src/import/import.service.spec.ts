import { tokenHash } from '@credroam/sealing';
import { OpensslWorkspace, type GeneratedCertificate } from '../../../../test/helpers/openssl';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { ImportService } from './import.service';

describe('ImportService', () => {
  let workspace: OpensslWorkspace;
  let certificate: GeneratedCertificate;
  let fixture: AgentFixture;
  let clock: number;
  let service: ImportService;

  beforeAll(async () => {
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({ algorithm: 'p-256' });
  }, 60_000);
  afterAll(() => workspace.dispose());
  beforeEach(() => {
    fixture = agentFixture();
    clock = NOW;
    service = new ImportService(fixture.store, () => clock);
  });
  afterEach(() => fixture.dispose());

  it('stores a certificate with the keyed hash, size and import time', () => {
    const progress: string[] = [];
    expect(
      service.importFile(Buffer.from(certificate.certPem), undefined, (line) => progress.push(line)),
    ).toEqual([{ type: 'certificate', id: certificate.thumbprint, status: 'added' }]);
    expect(progress).toEqual(['import: token 1/1']);
    expect(fixture.store.records.read()).toEqual({
      [`certificate:${certificate.thumbprint}`]: { origin: 'imported-here', lastSyncedAt: null, issue: null },
    });
    const stored = fixture.store.tokens.get({ type: 'certificate', id: certificate.thumbprint })!;
    expect(stored.meta).toMatchObject({
      modifiedAt: NOW,
      size: certificate.certDer.length,
      hash: tokenHash(fixture.hashKey, certificate.certDer),
    });
  });

  it('reports an identical re-import as unchanged and keeps its time', () => {
    service.importFile(certificate.certDer);
    clock = NOW + 5000;
    expect(service.importFile(certificate.certDer)[0]!.status).toBe('unchanged');
    expect(
      fixture.store.tokens.get({ type: 'certificate', id: certificate.thumbprint })!.meta.modifiedAt,
    ).toBe(NOW);
  });

  it('links a key imported after its certificate, and a key imported before it', () => {
    const first = agentFixture();
    try {
      const keyFirst = new ImportService(first.store, () => NOW);
      const [key] = keyFirst.importFile(Buffer.from(certificate.keyPem));
      expect(key!.linkedCertificate).toBeUndefined();
      keyFirst.importFile(Buffer.from(certificate.certPem));
      expect(first.store.tokens.get(key!)!.meta.linkedCertificate).toBe(certificate.thumbprint);
    } finally {
      first.dispose();
    }
    service.importFile(Buffer.from(certificate.certPem));
    const [key] = service.importFile(Buffer.from(certificate.keyPem));
    expect(key).toMatchObject({ type: 'private-key', linkedCertificate: certificate.thumbprint });
  });

  it('is all or nothing: a write failing part-way puts back the key it linked and removes the certificate', () => {
    let failRecords = false;
    const failing = agentFixture({
      beforeRename: (_temp, final) => {
        if (failRecords && final.endsWith('token-records.json')) throw new Error('ENOSPC stand-in');
      },
    });
    try {
      const importer = new ImportService(failing.store, () => NOW);
      importer.importFile(Buffer.from(certificate.keyPem));
      const before = failing.store.tokens.list();
      failRecords = true;
      expect(() => importer.importFile(Buffer.from(certificate.certPem))).toThrow('ENOSPC stand-in');
      expect(failing.store.tokens.list()).toEqual(before);
    } finally {
      failing.dispose();
    }
  });

  it('needs a login, since hashes use the user hash key', () => {
    fixture.store.writer.remove(fixture.store.layout.sessionFile);
    expect(() => service.importFile(certificate.certDer)).toThrow(/not logged in/);
  });
});
