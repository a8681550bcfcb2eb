import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';

/**
 * Writes an export readable by its owner only (0600, also when an existing file is replaced). Without `force` an
 * existing file is never touched (O_EXCL), so a typo cannot overwrite another credential.
 */
export function writeExportFile(path: string, bytes: Buffer, force: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, force ? 'w' : 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${JSON.stringify(path)} exists; use --force to replace it`);
    throw new Error(`cannot write ${JSON.stringify(path)} (${code ?? 'error'})`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}
