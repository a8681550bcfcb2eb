import { encodeDnBinary, POLICY_DEFAULTS } from '@credroam/roaming';
import {
  cleanToken,
  overLimitValues,
  plantedValues,
  windowsVectors,
} from '../../../../test/support/planted-values';
import {
  ACTIVE_DIRECTORY_DIALECT,
  OPENLDAP_DIALECT,
} from '../../../directory-gateway/src/ldap/attribute-dialect';
import { entryFindings } from './entry-findings';

const NOW = Date.UTC(2026, 5, 1);
const DN = 'uid=alice,ou=people,dc=credroam,dc=test';
const rules = { dialect: OPENLDAP_DIALECT, policy: POLICY_DEFAULTS, now: NOW };
const entry = (values: Buffer[], stamp: Buffer | null = null) => ({
  dn: DN,
  stamp,
  values: values.map((wire) => ({ attribute: 'msPKIAccountCredentials', wire })),
});

describe('entryFindings', () => {
  it('reads the values Windows clients wrote (DSInternals vectors) without flagging them', () => {
    expect(entryFindings(entry(windowsVectors().map((vector) => vector.bytes)), rules)).toEqual([]);
  });

  it('does not flag credroam tokens', () => {
    expect(entryFindings(entry([cleanToken('a', NOW - 1000), cleanToken('b', NOW)]), rules)).toEqual([]);
  });

  it.each(plantedValues(NOW).map((planted) => [planted.name, planted] as const))(
    'flags a planted value: %s',
    (_name, planted) => {
      const findings = entryFindings(entry([planted.bytes]), rules);
      expect(findings.map((finding) => finding.kind)).toEqual([planted.kind]);
      expect(findings[0]).toMatchObject({ dn: DN, attribute: 'msPKIAccountCredentials' });
    },
  );

  it('never prints a hostile identifier raw', () => {
    const [control] = plantedValues(NOW).filter((planted) => planted.name === 'control character');
    const [finding] = entryFindings(entry([control!.bytes]), rules);
    expect(finding!.detail).not.toContain('\u0007');
    expect(finding!.detail).toContain('\\u0007');
  });

  it('flags a user over the policy limits once', () => {
    const findings = entryFindings(entry(overLimitValues(NOW)), rules);
    expect(findings.map((finding) => finding.kind)).toEqual(['over-limits']);
  });

  it('flags a stamp in the future and undecodable values', () => {
    const stamp = Buffer.alloc(16);
    stamp.writeBigUInt64LE(0x01dc_0000_0000_0000n, 0);
    stamp.writeBigUInt64LE(0x7fff_0000_0000_0000n, 8);
    const findings = entryFindings(entry([Buffer.from('not a roaming value')], stamp), rules);
    expect(findings.map((finding) => finding.kind).sort()).toEqual(['future-timestamp', 'malformed']);
  });

  it('on Active Directory, flags a DN-Binary value that names another entry and reads the user own', () => {
    const [vector] = windowsVectors();
    const findings = entryFindings(
      {
        dn: DN,
        stamp: null,
        values: [
          { attribute: 'msPKIAccountCredentials', wire: encodeDnBinary(vector!.bytes, DN) },
          {
            attribute: 'msPKIAccountCredentials',
            wire: encodeDnBinary(vector!.bytes, 'uid=bob,ou=people,dc=credroam,dc=test'),
          },
        ],
      },
      { ...rules, dialect: ACTIVE_DIRECTORY_DIALECT },
    );
    expect(findings.map((finding) => finding.kind)).toEqual(['foreign-dn']);
  });
});
