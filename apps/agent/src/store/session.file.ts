import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  certificatePemSchema,
  effectivePolicySchema,
  isoInstantSchema,
  loginNameSchema,
  machineIdSchema,
  parseWith,
  sessionTokenSchema,
  smallEnvelopeSchema,
} from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

/** The largest CA (PEM text) a session keeps: a private CA and its intermediates, not a whole system bundle. */
export const SESSION_CA_MAX_CHARS = 256 * 1024;

/**
 * What login returned (and the last renewal updated), kept apart from the state file so that a corrupt state file (self-healed by a full
 * resync) does not also log the user out. The hash key stays in its envelope, sealed to the device key: it is
 * opened in memory when needed and never written in clear.
 */
export const sessionSchema = z
  .object({
    format: z.literal(1),
    /** logon-events (http, https) or the broker its ingress listens on (amqp, amqps). */
    server: z.url({ protocol: /^(https?|amqps?)$/ }),
    user: loginNameSchema,
    machine: machineIdSchema,
    sessionToken: sessionTokenSchema,
    expiresAt: isoInstantSchema,
    /**
     * Until when the device key may renew the session without the password (syncs renew it on their own);
     * absent in sessions written before renewal existed, which then need the password again at expiry.
     */
    renewableUntil: isoInstantSchema.optional(),
    transportCertificatePem: certificatePemSchema,
    policy: effectivePolicySchema,
    hashKeyEnvelope: smallEnvelopeSchema,
    loggedInAt: isoInstantSchema,
    /** `--ca-file` at login (PEM, kept so that later syncs trust the same CA wherever they run from). */
    caPem: z.string().min(1).max(SESSION_CA_MAX_CHARS).optional(),
    /** `--insecure` at login: a plain server off loopback accepted knowingly. */
    insecure: z.literal(true).optional(),
  })
  .strict();
export type Session = z.output<typeof sessionSchema>;

export class SessionFile {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  read(): Session | null {
    let text: string;
    try {
      text = readFileSync(this.layout.sessionFile, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = parseWith(sessionSchema, JSON.parse(text));
      return parsed.ok ? parsed.value : null;
    } catch {
      return null;
    }
  }

  write(session: Session): void {
    const checked = parseWith(sessionSchema, session);
    if (!checked.ok) throw new Error(`refusing to write an invalid session: ${checked.error.message}`);
    this.writer.write(this.layout.sessionFile, `${JSON.stringify(checked.value)}\n`, 0o600);
  }
}
