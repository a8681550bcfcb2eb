import { certificateThumbprint } from '@credroam/sealing';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { describeIssue, describeLastSynced, describeOrigin, tokenStatuses } from './token-status';

describe('tokenStatuses', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('names certificates by subject CN, shortens other ids and drops control characters', () => {
    const der = fixture.transport.certificate.der;
    const certificate = fixture.token('certificate', certificateThumbprint(der), der);
    const credential = fixture.token(
      'stored-credential',
      `TERMSRV/\u0007${'h'.repeat(60)}`,
      Buffer.from('s'),
    );
    const [cert, cred] = tokenStatuses([certificate, credential], {}, null);
    expect(cert!.name).toBe(`fixture rsa-2048 agent-transport (${certificate.meta.id.slice(0, 8)})`);
    expect(cred!.name).toBe(`TERMSRV/${'h'.repeat(31)}…`);
  });

  it('shows records, and for a token from before records a sync time from the last base', () => {
    const known = fixture.token('stored-credential', 'known', Buffer.from('1'));
    const legacy = fixture.token('stored-credential', 'legacy', Buffer.from('2'));
    const changed = fixture.token('stored-credential', 'changed', Buffer.from('3'));
    const entry = (meta: typeof known.meta, hash = meta.hash) => ({
      type: meta.type,
      id: meta.id,
      hash,
      modifiedAt: meta.modifiedAt,
      tombstone: false,
    });
    const statuses = tokenStatuses(
      [known, legacy, changed],
      {
        'stored-credential:known': {
          origin: 'roamed',
          lastSyncedAt: NOW - 1000,
          issue: { kind: 'conflict', at: NOW - 1000, conflict: 'both-changed', winner: 'directory' },
        },
      },
      { at: NOW - 5000, entries: [entry(legacy.meta), entry(changed.meta, 'f'.repeat(64))] },
    );
    expect(statuses).toEqual([
      {
        type: 'stored-credential',
        id: 'known',
        name: 'known',
        origin: 'roamed',
        lastSynced: new Date(NOW - 1000).toISOString(),
        issue: {
          kind: 'conflict',
          at: new Date(NOW - 1000).toISOString(),
          conflict: 'both-changed',
          winner: 'directory',
        },
        note: 'your change was replaced by a newer one from another computer',
      },
      {
        type: 'stored-credential',
        id: 'legacy',
        name: 'legacy',
        origin: 'unknown',
        lastSynced: new Date(NOW - 5000).toISOString(),
        issue: null,
        note: null,
      },
      {
        type: 'stored-credential',
        id: 'changed',
        name: 'changed',
        origin: 'unknown',
        lastSynced: null,
        issue: null,
        note: null,
      },
    ]);
  });
});

describe('wording', () => {
  it('says where a token came from', () => {
    expect(describeOrigin('imported-here')).toBe('imported here');
    expect(describeOrigin('roamed')).toBe('roamed from the directory');
    expect(describeOrigin('unknown')).toBe('unknown (before this version)');
  });

  it('explains each conflict by who won', () => {
    const conflict = (conflict: 'both-changed' | 'edit-beats-delete', winner: 'local' | 'directory') =>
      describeIssue({ kind: 'conflict', at: NOW, conflict, winner }, 'certificate');
    expect(conflict('both-changed', 'directory')).toBe(
      'your change was replaced by a newer one from another computer',
    );
    expect(conflict('both-changed', 'local')).toMatch(/change made here was newer and was kept/);
    expect(conflict('edit-beats-delete', 'directory')).toMatch(
      /deleted here but changed on another computer/,
    );
    expect(conflict('edit-beats-delete', 'local')).toMatch(/deleted on another computer but changed here/);
  });

  it('explains rejections by their code, with what to do', () => {
    const rejection = (code: 'POSSIBLY_PURGED_DELETION' | 'POLICY_FILTERED' | 'UNSAFE_IDENTIFIER') =>
      ({ kind: 'rejection', at: NOW, side: 'local', code, message: 'the server says why' }) as const;
    expect(describeIssue(rejection('POSSIBLY_PURGED_DELETION'), 'stored-credential')).toBe(
      'held back: it may have been deleted elsewhere while this computer was away; delete it ' +
        '("credroam-agent delete stored-credential ID") or set it again ("credential set") to keep it on every computer',
    );
    expect(describeIssue(rejection('POSSIBLY_PURGED_DELETION'), 'certificate')).toMatch(/or import it again/);
    expect(describeIssue(rejection('POLICY_FILTERED'), 'certificate')).toBe(
      'not roamed: the roaming policy leaves it out (the server says why)',
    );
    expect(describeIssue(rejection('UNSAFE_IDENTIFIER'), 'certificate')).toBe(
      'not roamed (UNSAFE_IDENTIFIER): the server says why',
    );
  });

  it('gives the last sync as relative and absolute time', () => {
    expect(describeLastSynced(null, NOW)).toBe('never');
    const at = new Date(NOW - 3 * 60_000).toISOString();
    expect(describeLastSynced(at, NOW)).toBe(`3 minutes ago (${at})`);
    expect(describeLastSynced(new Date(NOW - 2 * 86_400_000).toISOString(), NOW)).toMatch(/^2 days ago/);
    expect(describeLastSynced(new Date(NOW - 5000).toISOString(), NOW)).toMatch(/^just now/);
  });
});
