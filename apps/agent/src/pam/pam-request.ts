import { z } from 'zod';
import { loginNameSchema } from '@credroam/roaming';
import { agentConfigSchema } from '../config/agent-config';

/** The PAM phases the hook acts on; pam_exec also runs it for account and password, which it leaves alone. */
export const PAM_PHASES = ['auth', 'open_session', 'close_session'] as const;
export type PamPhase = (typeof PAM_PHASES)[number];

/** A local account name as PAM hands it over; never one that getent could take for an option. */
const pamUserSchema = loginNameSchema.refine((name) => !name.startsWith('-') && !name.includes(':'), {
  message: 'not a usable account name',
});

/** What pam_exec puts in the environment (pam_exec(8)): the user, the phase and the calling service. */
const pamEnvironmentSchema = z.object({
  PAM_USER: pamUserSchema,
  PAM_TYPE: z.string().max(64),
  PAM_SERVICE: z.string().min(1).max(256),
});

export interface PamRequest {
  user: string;
  phase: PamPhase;
  service: string;
}

/** The request pam_exec describes, or null for a phase the hook has nothing to do in. */
export function pamRequestFromEnv(env: NodeJS.ProcessEnv): PamRequest | null {
  const parsed = pamEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `not run by pam_exec: ${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const phase = PAM_PHASES.find((candidate) => candidate === parsed.data.PAM_TYPE);
  if (phase === undefined) return null;
  return { user: parsed.data.PAM_USER, phase, service: parsed.data.PAM_SERVICE };
}

/**
 * pam_exec's expose_authtok writes the password followed by a NUL byte; a hand-run test may end it with a line
 * break instead. Neither belongs to the password.
 */
export function pamPassword(stdin: string): string {
  return stdin.replace(/\0+$/, '').replace(/\r?\n$/, '');
}

/**
 * What the hook hands its background worker over a pipe (never in argv or the environment, which other users
 * can read in /proc): the request, the checked configuration, the store, and the password in the auth phase.
 */
export const logonWorkSchema = z
  .object({
    user: pamUserSchema,
    phase: z.enum(PAM_PHASES),
    service: z.string().min(1).max(256),
    /** The PAM application's process (login, sshd, a display manager): one per open session. */
    sessionPid: z.number().int().positive(),
    store: z.string().startsWith('/'),
    config: agentConfigSchema,
    password: z.string().min(1).max(4096).optional(),
    /**
     * Kerberos mode (`pam-hook --kerberos`), at session open: the ticket cache pam_krb5 or pam_sss put in the PAM
     * environment (KRB5CCNAME), and the krb5.conf when PAM named one; the logon uses the ticket, no password.
     */
    kerberos: z
      .object({
        ticketCache: z.string().min(1).max(4096),
        krb5Config: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type LogonWork = z.output<typeof logonWorkSchema>;
