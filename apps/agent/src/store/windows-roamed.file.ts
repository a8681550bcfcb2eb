import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  parseWith,
  reportedValueSchema,
  timestampMsSchema,
  windowsCertificateSchema,
  type ReportedValue,
  type WindowsCertificateDelivery,
} from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

/**
 * What Windows clients roamed into the user's entry, as the last sync saw it: the certificates (offered here
 * read-only) and the private keys and DPAPI master keys only Windows can open (shown by `status`).
 */
export interface WindowsRoamed {
  syncedAt: number | null;
  certificates: WindowsCertificateDelivery[];
  /** Reported values with a `windows` description other than a certificate. */
  windowsOnly: ReportedValue[];
}

const fileSchema = z
  .object({
    format: z.literal(1),
    syncedAt: timestampMsSchema,
    certificates: z.array(windowsCertificateSchema).max(10_000),
    windowsOnly: z.array(reportedValueSchema).max(20_000),
  })
  .strict();

export const NO_WINDOWS_ROAMED: WindowsRoamed = Object.freeze({
  syncedAt: null,
  certificates: [],
  windowsOnly: [],
});

/**
 * windows-roamed.json: kept apart from tokens/ on purpose. Nothing here is in the sync manifest, so the agent never
 * uploads, edits, tombstones or deletes these values; only a sync replaces the file (the directory is the truth:
 * a certificate a Windows client removed leaves with the next sync).
 */
export class WindowsRoamedFile {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  read(): WindowsRoamed {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.layout.windowsRoamedFile, 'utf8'));
    } catch {
      return NO_WINDOWS_ROAMED;
    }
    const parsed = parseWith(fileSchema, json);
    if (!parsed.ok) return NO_WINDOWS_ROAMED;
    const { syncedAt, certificates, windowsOnly } = parsed.value;
    return { syncedAt, certificates, windowsOnly };
  }

  /** The certificate with this thumbprint (upper-case hex), if Windows roamed it. */
  certificate(thumbprint: string): WindowsCertificateDelivery | null {
    return this.read().certificates.find((certificate) => certificate.thumbprint === thumbprint) ?? null;
  }

  write(value: WindowsRoamed & { syncedAt: number }): void {
    const checked = parseWith(fileSchema, { format: 1, ...value });
    if (!checked.ok) throw new Error(`refusing to write invalid Windows values: ${checked.error.message}`);
    this.writer.write(this.layout.windowsRoamedFile, `${JSON.stringify(checked.value)}\n`);
  }
}
