import { RoamingError } from '@credroam/roaming';
import { loadGatewayConfig } from './gateway.config';

const base = { CREDROAM_LDAP_BIND_PASSWORD: 'secret' };

function messageOf(env: NodeJS.ProcessEnv): string {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof RoamingError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('directory-gateway configuration', () => {
  it('boots on the local-stack defaults with just a bind password', () => {
    const config = loadGatewayConfig(base);
    expect(config).toMatchObject({
      ldap: { url: 'ldap://127.0.0.1:3890', poolSize: 4, startTls: false },
      baseDn: 'dc=credroam,dc=test',
      loginAttribute: 'uid',
      dialect: 'openldap',
      serviceChannelKey: null,
    });
  });

  it.each([
    [{ CREDROAM_LDAP_URL: 'http://x' }, /CREDROAM_LDAP_URL/],
    [{ CREDROAM_DIRECTORY_DIALECT: 'novell' }, /CREDROAM_DIRECTORY_DIALECT/],
    [{ CREDROAM_LDAP_LOGIN_ATTRIBUTE: 'uid)(x=*' }, /CREDROAM_LDAP_LOGIN_ATTRIBUTE/],
    [{ CREDROAM_LDAP_TIMEOUT_MS: 'soon' }, /CREDROAM_LDAP_TIMEOUT_MS/],
    [{ CREDROAM_LDAP_USER_FILTER: 'objectClass=person' }, /CREDROAM_LDAP_USER_FILTER/],
  ])('names the variable that is wrong: %j', (env, pattern) => {
    expect(messageOf({ ...base, ...env })).toMatch(pattern);
  });

  it('looks for the directory policy under the base and caches it a minute, unless told otherwise', () => {
    expect(loadGatewayConfig(base)).toMatchObject({
      policyDn: 'cn=credroam-policy,dc=credroam,dc=test',
      policyCacheMs: 60_000,
    });
    expect(
      loadGatewayConfig({
        ...base,
        CREDROAM_POLICY_DN: 'cn=roaming,ou=policies,dc=example,dc=com',
        CREDROAM_POLICY_CACHE_SECONDS: '0',
      }),
    ).toMatchObject({ policyDn: 'cn=roaming,ou=policies,dc=example,dc=com', policyCacheMs: 0 });
    expect(messageOf({ ...base, CREDROAM_POLICY_CACHE_SECONDS: '3601' })).toMatch(
      /CREDROAM_POLICY_CACHE_SECONDS/,
    );
  });

  it('requires exactly one source for the bind password', () => {
    expect(messageOf({})).toMatch(
      /exactly one of CREDROAM_LDAP_BIND_PASSWORD and CREDROAM_LDAP_BIND_PASSWORD_FILE/,
    );
    expect(messageOf({ ...base, CREDROAM_LDAP_BIND_PASSWORD_FILE: '/nonexistent' })).toMatch(/exactly one/);
    expect(messageOf({ CREDROAM_LDAP_BIND_PASSWORD_FILE: '/nonexistent/pw' })).toMatch(
      /cannot read the LDAP bind password/,
    );
  });

  it('never echoes the bind password in an error', () => {
    expect(messageOf({ CREDROAM_LDAP_BIND_PASSWORD: 'hunter2', CREDROAM_LDAP_URL: 'bad' })).not.toContain(
      'hunter2',
    );
  });

  it('refuses a plain ldap:// connection to another host unless allowed explicitly', () => {
    const remote = { ...base, CREDROAM_LDAP_URL: 'ldap://dc01.corp.example.com:389' };
    expect(messageOf(remote)).toMatch(
      /CREDROAM_LDAP_URL is a plain ldap:\/\/ URL to dc01\.corp\.example\.com, not a loopback address: use ldaps:\/\/ or CREDROAM_LDAP_STARTTLS=true .*CREDROAM_LDAP_ALLOW_PLAINTEXT=true/,
    );
    expect(messageOf({ ...remote, CREDROAM_LDAP_ALLOW_PLAINTEXT: 'true' })).toBe('accepted');
    expect(messageOf({ ...remote, CREDROAM_LDAP_STARTTLS: 'true' })).toBe('accepted');
    expect(messageOf({ ...remote, CREDROAM_LDAP_URL: 'ldaps://dc01.corp.example.com:636' })).toBe('accepted');
    expect(messageOf({ ...base, CREDROAM_LDAP_URL: 'ldap://localhost:3890' })).toBe('accepted');
    expect(messageOf({ ...base, CREDROAM_LDAP_URL: 'ldap://[::1]:3890' })).toBe('accepted');
  });

  it('refuses TLS settings that would do nothing', () => {
    expect(messageOf({ ...base, CREDROAM_LDAP_CA_FILE: '/etc/ssl/ca.crt' })).toMatch(
      /CREDROAM_LDAP_CA_FILE is set, but CREDROAM_LDAP_URL is a plain ldap:\/\/ URL without CREDROAM_LDAP_STARTTLS=true/,
    );
    expect(
      messageOf({ ...base, CREDROAM_LDAP_URL: 'ldaps://127.0.0.1:636', CREDROAM_LDAP_STARTTLS: 'true' }),
    ).toMatch(/CREDROAM_LDAP_STARTTLS=true applies to ldap:\/\/ URLs/);
    expect(messageOf({ ...base, CREDROAM_LDAP_ALLOW_PLAINTEXT: 'yes' })).toMatch(
      /CREDROAM_LDAP_ALLOW_PLAINTEXT/,
    );
  });
});
