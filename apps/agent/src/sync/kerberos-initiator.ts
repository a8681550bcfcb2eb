import { loadGssapi } from '@credroam/platform';
import { RoamingError } from '@credroam/roaming';

/** One SPNEGO exchange's client side: the token to send, then the service's answer to check. */
export interface KerberosExchange {
  /** The base64 SPNEGO token for `Authorization: Negotiate`. */
  token: string;
  /** Checks the service's `WWW-Authenticate: Negotiate` answer (mutual authentication); throws when it fails. */
  finish(answer: string | null): Promise<void>;
}

/** Makes a fresh exchange per attempt: a token is single-use (the service's replay cache refuses it twice). */
export type KerberosInitiator = () => Promise<KerberosExchange>;

/**
 * GSSAPI through the `kerberos` package, with the user's ticket cache (KRB5CCNAME, else the default one that
 * kinit, pam_krb5 or SSSD filled). `service` is a host-based name, `HTTP@logon.example.com`. No password is asked
 * for or sent: without a valid ticket this fails before anything reaches the network.
 */
export function gssapiInitiator(service: string): KerberosInitiator {
  return async () => {
    let gssapi;
    try {
      gssapi = loadGssapi();
    } catch (error) {
      throw new RoamingError('KERBEROS_NOT_CONFIGURED', (error as Error).message);
    }
    let client;
    let token: string;
    try {
      client = await gssapi.initializeClient(service, {
        mechOID: gssapi.GSS_MECH_OID_SPNEGO,
        gssFlag: gssapi.GSS_C_MUTUAL_FLAG | gssapi.GSS_C_SEQUENCE_FLAG,
      });
      token = await client.step('');
    } catch (error) {
      throw ticketProblem(service, (error as Error).message);
    }
    const started = client;
    return {
      token,
      async finish(answer) {
        if (answer === null)
          throw new RoamingError(
            'UNAUTHENTICATED',
            `${service} did not authenticate itself (no Negotiate answer)`,
          );
        try {
          await started.step(answer);
        } catch (error) {
          throw new RoamingError(
            'UNAUTHENTICATED',
            `${service} failed mutual authentication: ${(error as Error).message}`,
          );
        }
      },
    };
  };
}

/** What a missing or expired ticket means to the person at the keyboard, with GSSAPI's own words after it. */
function ticketProblem(service: string, gssMessage: string): RoamingError {
  const cache = process.env.KRB5CCNAME ?? 'the default ticket cache';
  if (/expired/i.test(gssMessage))
    return new RoamingError(
      'UNAUTHENTICATED',
      `the Kerberos ticket in ${cache} has expired: run kinit (or log on again) and retry (${gssMessage})`,
    );
  if (/credentials|cache|no such file|cannot find/i.test(gssMessage))
    return new RoamingError(
      'UNAUTHENTICATED',
      `no Kerberos ticket in ${cache}: run kinit, or log on through pam_krb5/pam_sss, and retry (${gssMessage})`,
    );
  return new RoamingError('UNAUTHENTICATED', `no Kerberos ticket for ${service}: ${gssMessage}`);
}
